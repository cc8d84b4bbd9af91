// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Hivemind.Storage;

/// <summary>Compares byte arrays by content, ordered lexicographically (a shorter prefix first): the order of subkeys.</summary>
internal sealed class ByteSequenceComparer : IComparer<byte[]>, IEqualityComparer<byte[]>
{
    public static ByteSequenceComparer Instance { get; } = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);

    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var hash = new HashCode();
        hash.AddBytes(obj);
        return hash.ToHashCode();
    }
}
