// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.OpenAi.Wire;

/// <summary>The one choice of a chat completion.</summary>
internal sealed class ChatCompletionChoice
{
    public int Index { get; init; }

    public required AssistantMessage Message { get; init; }

    public required string FinishReason { get; init; }
}
