// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text.Json;

namespace KwaaiNet.Inference.OpenAi.Wire;

/// <summary>The body of <c>POST /v1/completions</c>.</summary>
internal sealed class CompletionRequest : SamplingRequest
{
    /// <summary>A string, or a list holding one string.</summary>
    public JsonElement? Prompt { get; init; }

    public bool? Echo { get; init; }

    public string? Suffix { get; init; }
}
