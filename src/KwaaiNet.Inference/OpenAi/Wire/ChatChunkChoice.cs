// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text.Json.Serialization;

namespace KwaaiNet.Inference.OpenAi.Wire;

/// <summary>The one choice of a chat completion chunk.</summary>
internal sealed class ChatChunkChoice
{
    public int Index { get; init; }

    public required ChatDelta Delta { get; init; }

    /// <summary>Null until the last content chunk.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; init; }
}
