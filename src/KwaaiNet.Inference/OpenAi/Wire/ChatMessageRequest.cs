// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text.Json;

namespace KwaaiNet.Inference.OpenAi.Wire;

/// <summary>One message of a chat completion request.</summary>
internal sealed class ChatMessageRequest
{
    public string? Role { get; init; }

    /// <summary>A string or a list of content parts (only <c>text</c> parts are served).</summary>
    public JsonElement? Content { get; init; }
}
