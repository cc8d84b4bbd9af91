// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Tokenization;

/// <summary>One message of a conversation.</summary>
/// <param name="Role"><c>"system"</c>, <c>"user"</c> or <c>"assistant"</c>.</param>
/// <param name="Content">The message text.</param>
public sealed record ChatMessage(string Role, string Content)
{
    /// <summary>The system role.</summary>
    public const string SystemRole = "system";

    /// <summary>The user role.</summary>
    public const string UserRole = "user";

    /// <summary>The assistant role.</summary>
    public const string AssistantRole = "assistant";
}
