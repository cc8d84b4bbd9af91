// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.OpenAi.Wire;

/// <summary>OpenAI's <c>stream_options</c>.</summary>
internal sealed class StreamOptionsRequest
{
    /// <summary>Whether a last chunk carries the usage.</summary>
    public bool? IncludeUsage { get; init; }
}
