// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.OpenAi.Wire;

/// <summary>A non-streaming chat completion (<c>chat.completion</c>).</summary>
internal sealed class ChatCompletion
{
    public required string Id { get; init; }

    public string Object { get; } = "chat.completion";

    public required long Created { get; init; }

    public required string Model { get; init; }

    public required List<ChatCompletionChoice> Choices { get; init; }

    public required UsageInfo Usage { get; init; }
}
