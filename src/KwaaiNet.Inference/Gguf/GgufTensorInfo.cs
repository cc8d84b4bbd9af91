// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Gguf;

/// <summary>One tensor of a GGUF file.</summary>
/// <param name="Name">The tensor's name (<c>blk.0.attn_q.weight</c>).</param>
/// <param name="Dimensions">ggml's <c>ne</c>, fastest-varying first.</param>
/// <param name="Type">The element type.</param>
/// <param name="Offset">Byte offset of the data, relative to the start of the data section.</param>
/// <param name="ByteSize">Bytes of data.</param>
public sealed record GgufTensorInfo(string Name, IReadOnlyList<ulong> Dimensions, GgmlType Type, ulong Offset, long ByteSize)
{
    /// <summary>The number of elements (product of the dimensions).</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Dimensions)
            {
                n = checked(n * (long)d);
            }

            return n;
        }
    }
}
