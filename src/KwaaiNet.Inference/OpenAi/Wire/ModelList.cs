// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.OpenAi.Wire;

/// <summary>The body of <c>GET /v1/models</c>.</summary>
internal sealed class ModelList
{
    public string Object { get; } = "list";

    public required List<ModelInfo> Data { get; init; }
}
