// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.OpenAi.Wire;

/// <summary>The generated message of a chat completion.</summary>
internal sealed class AssistantMessage
{
    public string Role { get; } = "assistant";

    public required string Content { get; init; }
}
