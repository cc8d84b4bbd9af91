// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.OpenAi.Wire;

/// <summary>What a chat completion chunk adds to the message.</summary>
internal sealed class ChatDelta
{
    /// <summary><c>assistant</c> on the first chunk.</summary>
    public string? Role { get; init; }

    public string? Content { get; init; }
}
