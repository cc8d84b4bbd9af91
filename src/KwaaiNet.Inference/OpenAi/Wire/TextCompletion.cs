// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.OpenAi.Wire;

/// <summary>A text completion (<c>text_completion</c>), whole or one server-sent event of a stream.</summary>
internal sealed class TextCompletion
{
    public required string Id { get; init; }

    public string Object { get; } = "text_completion";

    public required long Created { get; init; }

    public required string Model { get; init; }

    public required List<TextCompletionChoice> Choices { get; init; }

    public UsageInfo? Usage { get; init; }
}
