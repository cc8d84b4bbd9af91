// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Hivemind.Compression;

/// <summary>A tensor read from hivemind's <c>Tensor</c> message: its shape, dtype and raw elements.</summary>
/// <param name="Shape">The shape (row-major).</param>
/// <param name="DType">The dtype name (<c>float32</c>, <c>bfloat16</c>, <c>int64</c>, ...).</param>
/// <param name="Data">The elements, little-endian, <c>numel × itemsize</c> bytes; bfloat16 always as its 2-byte bit patterns.</param>
/// <param name="RequiresGrad">The sender's <c>requires_grad</c> flag.</param>
public sealed record DecodedTensor(int[] Shape, string DType, byte[] Data, bool RequiresGrad)
{
    /// <summary>The number of elements.</summary>
    public long ElementCount => Data.Length / TensorDTypes.ItemSize(DType);
}
