// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Gguf;

/// <summary>
/// Caps applied while parsing a GGUF header, so that a corrupt or hostile file is refused before it can make the
/// reader allocate without bound. The defaults fit real Llama-family files (Llama-3's vocabulary has 128,256 tokens
/// and 280,147 merges).
/// </summary>
public sealed record GgufReadLimits
{
    /// <summary>The default limits.</summary>
    public static GgufReadLimits Default { get; } = new();

    /// <summary>Most metadata key/value pairs (default 65,536).</summary>
    public int MaxMetadataEntries { get; init; } = 65_536;

    /// <summary>Longest string (key, value, tensor name) in UTF-8 bytes (default 1 MiB).</summary>
    public int MaxStringBytes { get; init; } = 1 << 20;

    /// <summary>Most elements in one metadata array (default 16 Mi).</summary>
    public int MaxArrayElements { get; init; } = 16 << 20;

    /// <summary>Deepest nesting of arrays in arrays (default 4).</summary>
    public int MaxArrayDepth { get; init; } = 4;

    /// <summary>Most tensors (default 65,536).</summary>
    public int MaxTensors { get; init; } = 65_536;

    /// <summary>Most dimensions of a tensor (ggml's GGML_MAX_DIMS, 4; larger values are refused too).</summary>
    public int MaxDimensions { get; init; } = 4;
}
