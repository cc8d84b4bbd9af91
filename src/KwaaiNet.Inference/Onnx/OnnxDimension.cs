// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Onnx;

/// <summary>One dimension of a graph input or output: a fixed size, or a symbolic name such as <c>batch</c>.</summary>
internal readonly record struct OnnxDimension
{
    private OnnxDimension(long size, string? symbol)
    {
        Size = size;
        Symbol = symbol;
    }

    /// <summary>The fixed size, when <see cref="Symbol"/> is null.</summary>
    public long Size { get; }

    /// <summary>The symbolic name, or null for a fixed size.</summary>
    public string? Symbol { get; }

    /// <summary>A fixed size.</summary>
    public static OnnxDimension Fixed(long size) =>
        size >= 0 ? new(size, null) : throw new ArgumentOutOfRangeException(nameof(size), size, "a dimension is never negative");

    /// <summary>A symbolic (dynamic) dimension.</summary>
    public static OnnxDimension Named(string symbol)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(symbol);
        return new(0, symbol);
    }

    public static implicit operator OnnxDimension(long size) => Fixed(size);

    public static implicit operator OnnxDimension(string symbol) => Named(symbol);
}
