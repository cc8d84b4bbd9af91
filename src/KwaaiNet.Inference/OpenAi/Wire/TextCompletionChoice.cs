// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text.Json.Serialization;

namespace KwaaiNet.Inference.OpenAi.Wire;

/// <summary>The one choice of a text completion.</summary>
internal sealed class TextCompletionChoice
{
    public required string Text { get; init; }

    public int Index { get; init; }

    /// <summary>Null on stream events before the last.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; init; }
}
