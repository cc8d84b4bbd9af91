// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Protos;
using KwaaiNet.Hivemind.Values;

namespace KwaaiNet.Petals.Serving;

/// <summary>
/// hivemind's <c>BatchTensorDescriptor</c> as msgpack ext <c>0x51</c> (<c>hivemind/utils/tensor_descr.py</c>
/// <c>packb</c>; research petals-protocol.md §9.2): the dataclass as a map in field order, <c>size</c> a tuple that
/// starts with <c>None</c> (the batch dimension).
/// </summary>
public static class BatchTensorDescriptorCodec
{
    /// <summary>The ext type code of a descriptor.</summary>
    public const sbyte ExtType = 0x51;

    /// <summary>The msgpack bytes of one descriptor (the ext header included).</summary>
    /// <param name="instanceSize">The size without the batch dimension (<c>(1, 2048, hidden)</c>, or empty).</param>
    /// <param name="dtype">The element type as a tensor dtype name (<c>float32</c>, <c>float16</c>, <c>int64</c>...).</param>
    /// <param name="compression">The compression clients should use for this tensor.</param>
    /// <returns>The bytes.</returns>
    public static byte[] Encode(IReadOnlyList<int> instanceSize, string dtype, CompressionType compression = CompressionType.None)
    {
        ArgumentNullException.ThrowIfNull(instanceSize);
        ArgumentException.ThrowIfNullOrEmpty(dtype);
        return DhtMsgPack.Write(w => Write(w, instanceSize, dtype, compression));
    }

    /// <summary>Writes one descriptor (the ext) to <paramref name="writer"/>.</summary>
    /// <param name="writer">The msgpack writer.</param>
    /// <param name="instanceSize">The size without the batch dimension.</param>
    /// <param name="dtype">The element type as a tensor dtype name.</param>
    /// <param name="compression">The compression clients should use for this tensor.</param>
    public static void Write(DhtMsgPackWriter writer, IReadOnlyList<int> instanceSize, string dtype, CompressionType compression = CompressionType.None)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(instanceSize);
        ArgumentException.ThrowIfNullOrEmpty(dtype);
        var map = DhtMsgPack.Write(w =>
        {
            w.WriteMapHeader(8);
            w.Write("size");
            w.WriteTuple(instanceSize.Count + 1, t =>
            {
                t.WriteNil();
                foreach (var dimension in instanceSize)
                {
                    t.Write(dimension);
                }
            });
            w.Write("dtype");
            w.Write("torch." + dtype);
            w.Write("layout");
            w.Write("torch.strided");
            w.Write("requires_grad");
            w.Write(false);
            w.Write("pin_memory");
            w.Write(false);
            w.Write("compression");
            w.Write((long)compression);
            w.Write("device_type");
            w.WriteNil();
            w.Write("device_index");
            w.WriteNil();
        });
        writer.WriteExt(ExtType, map);
    }
}
