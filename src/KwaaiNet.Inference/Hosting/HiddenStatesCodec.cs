// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Binary;
using System.Globalization;
using Google.Protobuf;
using KwaaiNet.Contracts.Inference.V1;

namespace KwaaiNet.Inference.Hosting;

/// <summary>
/// Hidden states between the gRPC <see cref="Tensor"/> (little-endian <c>float32</c>, <c>float16</c> or
/// <c>bfloat16</c>, shape <c>[tokens, hidden]</c> or <c>[1, tokens, hidden]</c>) and the span's fp32 rows.
/// Every check happens before any value is read, so a bad tensor costs nothing.
/// </summary>
internal static class HiddenStatesCodec
{
    public const string Float32 = "float32";
    public const string Float16 = "float16";
    public const string BFloat16 = "bfloat16";

    /// <summary>The tensor's values as fp32 and its token count.</summary>
    /// <exception cref="ArgumentException">Missing tensor, unknown dtype, wrong rank or width, too many tokens, or data of the wrong length.</exception>
    public static (float[] Values, int Tokens) Decode(Tensor? tensor, int hiddenSize, int maxTokens)
    {
        if (tensor is null)
        {
            throw new ArgumentException("the request carries no hidden_states tensor");
        }

        var elementSize = ElementSize(tensor.Dtype);
        var shape = tensor.Shape;
        var valid = (shape.Count == 2 || (shape.Count == 3 && shape[0] == 1)) && shape[^1] == hiddenSize && shape[^2] >= 1;
        if (!valid)
        {
            throw new ArgumentException(Invariant(
                $"hidden_states has shape [{string.Join(", ", shape)}]; expected [tokens, {hiddenSize}] or [1, tokens, {hiddenSize}] with at least one token"));
        }

        if (shape[^2] > maxTokens)
        {
            throw new ArgumentException(Invariant($"hidden_states holds {shape[^2]} tokens; at most {maxTokens} fit"));
        }

        var tokens = (int)shape[^2];
        var count = tokens * hiddenSize;
        var data = tensor.Data.Span;
        if (data.Length != (long)count * elementSize)
        {
            throw new ArgumentException(Invariant(
                $"hidden_states data has {data.Length} bytes; {tensor.Dtype} [{string.Join(", ", shape)}] needs {(long)count * elementSize}"));
        }

        var values = new float[count];
        switch (elementSize)
        {
            case 4:
                for (var i = 0; i < count; i++)
                {
                    values[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]);
                }

                break;
            case 2 when tensor.Dtype == Float16:
                for (var i = 0; i < count; i++)
                {
                    values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(data[(2 * i)..]);
                }

                break;
            default:
                for (var i = 0; i < count; i++)
                {
                    values[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(data[(2 * i)..]) << 16);
                }

                break;
        }

        return (values, tokens);
    }

    /// <summary>fp32 rows as a tensor of <paramref name="dtype"/> with <paramref name="shape"/> (the request's).</summary>
    public static Tensor Encode(ReadOnlySpan<float> values, string dtype, IEnumerable<long> shape)
    {
        var elementSize = ElementSize(dtype);
        var bytes = new byte[values.Length * elementSize];
        for (var i = 0; i < values.Length; i++)
        {
            switch (dtype)
            {
                case Float32:
                    BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
                    break;
                case Float16:
                    BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), (Half)values[i]);
                    break;
                default:
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), ToBFloat16(values[i]));
                    break;
            }
        }

        var tensor = new Tensor { Dtype = dtype, Data = UnsafeByteOperations.UnsafeWrap(bytes) };
        tensor.Shape.AddRange(shape);
        return tensor;
    }

    /// <summary>Rounds to nearest even, as PyTorch does; NaN stays NaN.</summary>
    private static ushort ToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x40);
        }

        var rounding = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    private static int ElementSize(string dtype) => dtype switch
    {
        Float32 => 4,
        Float16 or BFloat16 => 2,
        _ => throw new ArgumentException($"hidden_states dtype '{dtype}' is not supported; expected {Float32}, {Float16} or {BFloat16}"),
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
