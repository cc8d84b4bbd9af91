// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.OpenAi.Wire;

/// <summary>One model of <c>GET /v1/models</c>.</summary>
internal sealed class ModelInfo
{
    public required string Id { get; init; }

    public string Object { get; } = "model";

    public long Created { get; init; }

    public required string OwnedBy { get; init; }

    /// <summary>An extension of OpenAI's object (OpenRouter's name): prompt and completion tokens together.</summary>
    public int? ContextLength { get; init; }
}
