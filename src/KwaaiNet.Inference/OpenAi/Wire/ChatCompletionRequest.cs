// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.OpenAi.Wire;

/// <summary>The body of <c>POST /v1/chat/completions</c>.</summary>
internal sealed class ChatCompletionRequest : SamplingRequest
{
    public List<ChatMessageRequest?>? Messages { get; init; }

    /// <summary>The newer name of <c>max_tokens</c>; wins when both are set.</summary>
    public int? MaxCompletionTokens { get; init; }
}
