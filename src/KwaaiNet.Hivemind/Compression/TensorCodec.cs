// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Google.Protobuf;
using KwaaiNet.Hivemind.Protos;

namespace KwaaiNet.Hivemind.Compression;

/// <summary>
/// hivemind's tensor serialization (<c>hivemind/compression</c>): a tensor ↔ the <c>Tensor</c> message, for compression
/// <c>NONE</c> (raw little-endian elements) and <c>FLOAT16</c> (float values cast to float16, clamped to ±65504), and
/// the splitting of a serialized tensor into parts for streaming (<c>hivemind/utils/streaming.py</c>).
/// </summary>
public static class TensorCodec
{
    /// <summary>The largest magnitude a float16 holds; FLOAT16 compression clamps to it.</summary>
    public const float Float16Max = 65504f;

    /// <summary>Serializes a tensor given as raw little-endian elements of <paramref name="dtype"/> (bfloat16 as its 2-byte bit patterns).</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="dtype">The dtype name, see <see cref="TensorDTypes"/>.</param>
    /// <param name="data">The elements: <c>numel × itemsize</c> bytes, row-major.</param>
    /// <param name="compression"><see cref="CompressionType.None"/>, or <see cref="CompressionType.Float16"/> for float32/float16/float64.</param>
    /// <param name="requiresGrad">The <c>requires_grad</c> flag to send.</param>
    /// <returns>The message.</returns>
    /// <exception cref="FormatException">An unknown dtype, an unsupported compression, a bad shape, or a data length that does not match it.</exception>
    public static Tensor Serialize(IReadOnlyList<int> shape, string dtype, ReadOnlySpan<byte> data, CompressionType compression = CompressionType.None, bool requiresGrad = false)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(dtype);
        var itemSize = TensorDTypes.ItemSize(dtype);
        var numel = ElementCount(shape);
        CheckLength(data.Length, numel, itemSize, dtype);
        if (compression == CompressionType.Float16)
        {
            CheckFloat16Compressible(dtype);
        }

        ByteString buffer = compression switch
        {
            CompressionType.None => ByteString.CopyFrom(data),
            CompressionType.Float16 => ByteString.CopyFrom(ToFloat16Bytes(ToSingles(dtype, data))),
            _ => throw Unsupported(compression),
        };

        return Build(shape, dtype, buffer, compression, requiresGrad);
    }

    /// <summary>Serializes float values as a tensor of the float dtype <paramref name="dtype"/> (float32, float16, bfloat16 or float64).</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="values">The values, row-major.</param>
    /// <param name="dtype">The dtype the tensor has: the values are cast to it (bfloat16 with round-to-nearest-even).</param>
    /// <param name="compression"><see cref="CompressionType.None"/>, or <see cref="CompressionType.Float16"/> (not for bfloat16).</param>
    /// <param name="requiresGrad">The <c>requires_grad</c> flag to send.</param>
    /// <returns>The message.</returns>
    /// <exception cref="FormatException">A dtype that is not a float dtype, an unsupported compression, or a bad shape.</exception>
    public static Tensor Serialize(IReadOnlyList<int> shape, ReadOnlySpan<float> values, string dtype = TensorDTypes.Float32Name, CompressionType compression = CompressionType.None, bool requiresGrad = false)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(dtype);
        if (!TensorDTypes.IsFloat(dtype))
        {
            _ = TensorDTypes.ItemSize(dtype);
            throw new FormatException($"Float values cannot be sent as dtype '{dtype}'.");
        }

        var numel = ElementCount(shape);
        if (numel != values.Length)
        {
            throw new FormatException($"The shape [{string.Join(", ", shape)}] holds {numel} elements, not {values.Length}.");
        }

        ByteString buffer;
        switch (compression)
        {
            case CompressionType.None:
                buffer = ByteString.CopyFrom(FromSingles(dtype, values));
                break;
            case CompressionType.Float16:
                CheckFloat16Compressible(dtype);
                buffer = ByteString.CopyFrom(ToFloat16Bytes(values));
                break;
            default:
                throw Unsupported(compression);
        }

        return Build(shape, dtype, buffer, compression, requiresGrad);
    }

    /// <summary>Reads a tensor from its message.</summary>
    /// <param name="tensor">The message (a whole tensor, or one reassembled by <see cref="Combine"/>).</param>
    /// <returns>The tensor, its elements in its own dtype (bfloat16 as 2-byte bit patterns, whichever form was sent).</returns>
    /// <exception cref="FormatException">An unknown dtype, an unsupported compression, a bad shape, or a buffer whose length does not match it.</exception>
    public static DecodedTensor Deserialize(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var dtype = tensor.Dtype;
        var itemSize = TensorDTypes.ItemSize(dtype);
        var shape = new int[tensor.Size.Count];
        for (var i = 0; i < shape.Length; i++)
        {
            shape[i] = tensor.Size[i] <= int.MaxValue
                ? (int)tensor.Size[i]
                : throw new FormatException($"Tensor dimension {tensor.Size[i]} is too large.");
        }

        var numel = ElementCount(shape);
        var buffer = tensor.Buffer.Span;
        byte[] data;
        switch (tensor.Compression)
        {
            case CompressionType.None when dtype == TensorDTypes.BFloat16Name && numel > 0 && buffer.Length == numel * 4:
                // The legacy form: bfloat16 values sent as float32.
                data = FromSingles(dtype, MemoryMarshal.Cast<byte, float>(ToArrayLittleEndian(buffer, 4)));
                break;
            case CompressionType.None:
                CheckLength(buffer.Length, numel, itemSize, dtype);
                data = buffer.ToArray();
                break;
            case CompressionType.Float16:
                CheckFloat16Compressible(dtype);
                CheckLength(buffer.Length, numel, 2, "float16 (FLOAT16 compression)");
                data = FromSingles(dtype, ToSingles(TensorDTypes.Float16Name, buffer));
                break;
            default:
                throw Unsupported(tensor.Compression);
        }

        return new DecodedTensor(shape, dtype, data, tensor.RequiresGrad);
    }

    /// <summary>The values of a float tensor (float32, float16, bfloat16 or float64) as float32.</summary>
    /// <param name="tensor">The tensor.</param>
    /// <returns>Its values, row-major.</returns>
    /// <exception cref="FormatException">The tensor's dtype is not a float dtype.</exception>
    public static float[] ToSingles(DecodedTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return ToSingles(tensor.DType, tensor.Data);
    }

    /// <summary>
    /// Splits a serialized tensor into parts of at most <paramref name="maxPartBytes"/> buffer bytes: the first part
    /// carries every field and <c>chunks</c> = the number of parts, the others only their slice of the buffer. An empty
    /// buffer gives one part with <c>chunks</c> = 0.
    /// </summary>
    /// <param name="tensor">The serialized tensor.</param>
    /// <param name="maxPartBytes">The largest buffer slice in one part.</param>
    /// <returns>The parts, in order.</returns>
    public static IReadOnlyList<Tensor> Split(Tensor tensor, int maxPartBytes)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPartBytes);
        var buffer = tensor.Buffer.Memory;
        var count = (int)((buffer.Length + (long)maxPartBytes - 1) / maxPartBytes);
        var parts = new List<Tensor>(Math.Max(count, 1))
        {
            new()
            {
                Buffer = ByteString.CopyFrom(buffer.Span[..Math.Min(buffer.Length, maxPartBytes)]),
                Size = { tensor.Size },
                RequiresGrad = tensor.RequiresGrad,
                Dtype = tensor.Dtype,
                Compression = tensor.Compression,
                Chunks = count,
            },
        };
        for (var start = maxPartBytes; start < buffer.Length; start += maxPartBytes)
        {
            parts.Add(new Tensor { Buffer = ByteString.CopyFrom(buffer.Span.Slice(start, Math.Min(maxPartBytes, buffer.Length - start))) });
        }

        return parts;
    }

    /// <summary>
    /// Reassembles streamed parts into whole serialized tensors: a part with a non-empty dtype starts a new tensor, the
    /// dtype-less parts after it add their buffers to it (<c>chunks</c> is not relied on).
    /// </summary>
    /// <param name="parts">The parts, in the order received.</param>
    /// <returns>The whole tensors, in order.</returns>
    /// <exception cref="FormatException">The first part has no dtype (a continuation without a start).</exception>
    public static IReadOnlyList<Tensor> Combine(IEnumerable<Tensor> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        List<Tensor> tensors = [];
        Tensor? current = null;
        MemoryStream? buffer = null;
        foreach (var part in parts)
        {
            ArgumentNullException.ThrowIfNull(part);
            if (part.Dtype.Length > 0)
            {
                Flush(current, buffer, tensors);
                current = part.Clone();
                buffer = new MemoryStream();
            }
            else if (current is null || buffer is null)
            {
                throw new FormatException("A tensor part without a dtype arrived before any first part.");
            }

            part.Buffer.WriteTo(buffer);
        }

        Flush(current, buffer, tensors);
        return tensors;

        static void Flush(Tensor? current, MemoryStream? buffer, List<Tensor> tensors)
        {
            if (current is not null && buffer is not null)
            {
                current.Buffer = ByteString.CopyFrom(buffer.GetBuffer(), 0, (int)buffer.Length);
                tensors.Add(current);
                buffer.Dispose();
            }
        }
    }

    private static Tensor Build(IReadOnlyList<int> shape, string dtype, ByteString buffer, CompressionType compression, bool requiresGrad)
    {
        var tensor = new Tensor { Buffer = buffer, RequiresGrad = requiresGrad, Dtype = dtype, Compression = compression };
        foreach (var dimension in shape)
        {
            tensor.Size.Add((uint)dimension);
        }

        return tensor;
    }

    private static long ElementCount(IReadOnlyList<int> shape)
    {
        long numel = 1;
        foreach (var dimension in shape)
        {
            if (dimension < 0)
            {
                throw new FormatException($"Negative tensor dimension {dimension}.");
            }

            try
            {
                numel = checked(numel * dimension);
            }
            catch (OverflowException exception)
            {
                throw new FormatException($"The tensor shape [{string.Join(", ", shape)}] has too many elements.", exception);
            }
        }

        return numel;
    }

    private static void CheckLength(int length, long numel, int itemSize, string dtype)
    {
        if (numel > Array.MaxLength / itemSize || length != numel * itemSize)
        {
            throw new FormatException($"A {dtype} tensor of {numel} elements needs {(numel > long.MaxValue / itemSize ? "more than " + long.MaxValue : (numel * itemSize).ToString(System.Globalization.CultureInfo.InvariantCulture))} bytes, but the buffer holds {length}.");
        }
    }

    private static void CheckFloat16Compressible(string dtype)
    {
        if (dtype is not (TensorDTypes.Float32Name or TensorDTypes.Float16Name or TensorDTypes.Float64Name))
        {
            throw new FormatException($"FLOAT16 compression does not apply to dtype '{dtype}'.");
        }
    }

    private static FormatException Unsupported(CompressionType compression) =>
        new($"Unsupported tensor compression '{compression}'.");

    private static byte[] ToFloat16Bytes(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), (Half)Math.Clamp(values[i], -Float16Max, Float16Max));
        }

        return bytes;
    }

    private static byte[] ToArrayLittleEndian(ReadOnlySpan<byte> buffer, int itemSize)
    {
        var copy = buffer.ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            for (var i = 0; i < copy.Length; i += itemSize)
            {
                copy.AsSpan(i, itemSize).Reverse();
            }
        }

        return copy;
    }

    private static float[] ToSingles(string dtype, ReadOnlySpan<byte> data)
    {
        var itemSize = TensorDTypes.ItemSize(dtype);
        var values = new float[data.Length / itemSize];
        for (var i = 0; i < values.Length; i++)
        {
            var element = data.Slice(i * itemSize, itemSize);
            values[i] = dtype switch
            {
                TensorDTypes.Float32Name => BinaryPrimitives.ReadSingleLittleEndian(element),
                TensorDTypes.Float16Name => (float)BinaryPrimitives.ReadHalfLittleEndian(element),
                TensorDTypes.BFloat16Name => BitConverter.UInt32BitsToSingle((uint)BinaryPrimitives.ReadUInt16LittleEndian(element) << 16),
                TensorDTypes.Float64Name => (float)BinaryPrimitives.ReadDoubleLittleEndian(element),
                _ => throw new FormatException($"A tensor of dtype '{dtype}' has no float values."),
            };
        }

        return values;
    }

    private static byte[] FromSingles(string dtype, ReadOnlySpan<float> values)
    {
        var itemSize = TensorDTypes.ItemSize(dtype);
        var data = new byte[values.Length * itemSize];
        for (var i = 0; i < values.Length; i++)
        {
            var element = data.AsSpan(i * itemSize, itemSize);
            switch (dtype)
            {
                case TensorDTypes.Float32Name:
                    BinaryPrimitives.WriteSingleLittleEndian(element, values[i]);
                    break;
                case TensorDTypes.Float16Name:
                    BinaryPrimitives.WriteHalfLittleEndian(element, (Half)values[i]);
                    break;
                case TensorDTypes.BFloat16Name:
                    BinaryPrimitives.WriteUInt16LittleEndian(element, ToBFloat16Bits(values[i]));
                    break;
                case TensorDTypes.Float64Name:
                    BinaryPrimitives.WriteDoubleLittleEndian(element, values[i]);
                    break;
                default:
                    throw new FormatException($"Float values cannot be stored as dtype '{dtype}'.");
            }
        }

        return data;
    }

    private static ushort ToBFloat16Bits(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x0040);
        }

        // Round to nearest, ties to even, as torch does.
        return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
    }
}
