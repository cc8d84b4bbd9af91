// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text.Json;

namespace KwaaiNet.Inference.OpenAi.Wire;

/// <summary>The fields <c>/v1/chat/completions</c> and <c>/v1/completions</c> share.</summary>
internal abstract class SamplingRequest
{
    public string? Model { get; init; }

    public int? MaxTokens { get; init; }

    public float? Temperature { get; init; }

    public float? TopP { get; init; }

    public long? Seed { get; init; }

    /// <summary>A string or a list of up to four strings.</summary>
    public JsonElement? Stop { get; init; }

    public bool? Stream { get; init; }

    public StreamOptionsRequest? StreamOptions { get; init; }

    public int? N { get; init; }

    public float? FrequencyPenalty { get; init; }

    public float? PresencePenalty { get; init; }
}
