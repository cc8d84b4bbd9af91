// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.OpenAi.Wire;

/// <summary>One server-sent event of a streaming chat completion (<c>chat.completion.chunk</c>).</summary>
internal sealed class ChatCompletionChunk
{
    public required string Id { get; init; }

    public string Object { get; } = "chat.completion.chunk";

    public required long Created { get; init; }

    public required string Model { get; init; }

    public required List<ChatChunkChoice> Choices { get; init; }

    /// <summary>Only on the last chunk, and only with <c>stream_options.include_usage</c>.</summary>
    public UsageInfo? Usage { get; init; }
}
