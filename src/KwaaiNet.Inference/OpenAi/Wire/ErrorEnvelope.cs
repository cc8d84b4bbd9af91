// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.OpenAi.Wire;

/// <summary>An error in OpenAI's shape: <c>{"error": {...}}</c>.</summary>
internal sealed class ErrorEnvelope
{
    public required ErrorBody Error { get; init; }
}
