// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace KwaaiNet.Inference.Gguf;

/// <summary>
/// Block sizes of the ggml element types, and conversion between fp32 and the types the worker reads and writes:
/// F32, F16, BF16, Q8_0, Q4_0, Q4_K and Q6_K. All multi-byte fields are little-endian.
/// </summary>
public static class GgmlCodec
{
    private const int QK = 32;
    private const int QKK = 256;

    /// <summary>True for the ids ggml defines (removed ids are not known).</summary>
    public static bool IsKnown(GgmlType type) => Enum.IsDefined(type);

    /// <summary>True when <see cref="Dequantize"/> handles the type.</summary>
    public static bool CanDequantize(GgmlType type) =>
        type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q4_K or GgmlType.Q6_K;

    /// <summary>True when <see cref="Quantize"/> handles the type (the same set as <see cref="CanDequantize"/>).</summary>
    public static bool CanQuantize(GgmlType type) => CanDequantize(type);

    /// <summary>Values per block (1 for plain types).</summary>
    public static int BlockSize(GgmlType type) => Traits(type).BlockSize;

    /// <summary>Bytes per block.</summary>
    public static int BlockBytes(GgmlType type) => Traits(type).BlockBytes;

    /// <summary>Bytes that <paramref name="count"/> values take; the count must be a whole number of blocks.</summary>
    public static long ByteCount(GgmlType type, long count)
    {
        var (blockSize, blockBytes) = Traits(type);
        if (count < 0 || count % blockSize != 0)
        {
            throw new ArgumentException($"{count} values are not a whole number of {type} blocks of {blockSize}", nameof(count));
        }

        return checked(count / blockSize * blockBytes);
    }

    private static (int BlockSize, int BlockBytes) Traits(GgmlType type) => type switch
    {
        GgmlType.F32 => (1, 4),
        GgmlType.F16 => (1, 2),
        GgmlType.Q4_0 => (QK, 18),
        GgmlType.Q4_1 => (QK, 20),
        GgmlType.Q5_0 => (QK, 22),
        GgmlType.Q5_1 => (QK, 24),
        GgmlType.Q8_0 => (QK, 34),
        GgmlType.Q8_1 => (QK, 36),
        GgmlType.Q2_K => (QKK, 84),
        GgmlType.Q3_K => (QKK, 110),
        GgmlType.Q4_K => (QKK, 144),
        GgmlType.Q5_K => (QKK, 176),
        GgmlType.Q6_K => (QKK, 210),
        GgmlType.Q8_K => (QKK, 292),
        GgmlType.IQ2_XXS => (QKK, 66),
        GgmlType.IQ2_XS => (QKK, 74),
        GgmlType.IQ3_XXS => (QKK, 98),
        GgmlType.IQ1_S => (QKK, 50),
        GgmlType.IQ4_NL => (QK, 18),
        GgmlType.IQ3_S => (QKK, 110),
        GgmlType.IQ2_S => (QKK, 82),
        GgmlType.IQ4_XS => (QKK, 136),
        GgmlType.I8 => (1, 1),
        GgmlType.I16 => (1, 2),
        GgmlType.I32 => (1, 4),
        GgmlType.I64 => (1, 8),
        GgmlType.F64 => (1, 8),
        GgmlType.IQ1_M => (QKK, 56),
        GgmlType.BF16 => (1, 2),
        GgmlType.TQ1_0 => (QKK, 54),
        GgmlType.TQ2_0 => (QKK, 66),
        GgmlType.MXFP4 => (QK, 17),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, $"unknown ggml type id {(uint)type}"),
    };

    /// <summary>
    /// Decodes <paramref name="source"/> (whole blocks of <paramref name="type"/>) into <paramref name="destination"/>,
    /// which must hold exactly the values those blocks encode.
    /// </summary>
    /// <exception cref="NotSupportedException">The type is known but has no decoder here.</exception>
    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        if (!CanDequantize(type))
        {
            throw new NotSupportedException($"dequantizing ggml type {type} is not supported (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K)");
        }

        var (blockSize, blockBytes) = Traits(type);
        if (source.Length % blockBytes != 0 || (long)source.Length / blockBytes * blockSize != destination.Length)
        {
            throw new ArgumentException($"{source.Length} bytes of {type} do not encode {destination.Length} values");
        }

        switch (type)
        {
            case GgmlType.F32:
                source.CopyTo(MemoryMarshal.AsBytes(destination));
                if (!BitConverter.IsLittleEndian)
                {
                    ReverseEndianness(destination);
                }

                break;
            case GgmlType.F16:
                if (BitConverter.IsLittleEndian)
                {
                    TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(source), destination);
                }
                else
                {
                    for (var i = 0; i < destination.Length; i++)
                    {
                        destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(source[(2 * i)..]);
                    }
                }

                break;
            case GgmlType.BF16:
                for (var i = 0; i < destination.Length; i++)
                {
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]) << 16);
                }

                break;
            case GgmlType.Q8_0:
                for (int b = 0, n = source.Length / 34; b < n; b++)
                {
                    DequantizeQ8_0(source.Slice(b * 34, 34), destination.Slice(b * QK, QK));
                }

                break;
            case GgmlType.Q4_0:
                for (int b = 0, n = source.Length / 18; b < n; b++)
                {
                    DequantizeQ4_0(source.Slice(b * 18, 18), destination.Slice(b * QK, QK));
                }

                break;
            case GgmlType.Q4_K:
                for (int b = 0, n = source.Length / 144; b < n; b++)
                {
                    DequantizeQ4K(source.Slice(b * 144, 144), destination.Slice(b * QKK, QKK));
                }

                break;
            default:
                for (int b = 0, n = source.Length / 210; b < n; b++)
                {
                    DequantizeQ6K(source.Slice(b * 210, 210), destination.Slice(b * QKK, QKK));
                }

                break;
        }
    }

    /// <summary>
    /// Encodes <paramref name="source"/> (a whole number of blocks) as <paramref name="type"/> into
    /// <paramref name="destination"/>. Deterministic round-to-nearest with one scale (and minimum) per block or
    /// sub-block, taken from the block's range; not llama.cpp's error-minimising search.
    /// </summary>
    /// <exception cref="NotSupportedException">The type has no encoder here.</exception>
    public static void Quantize(GgmlType type, ReadOnlySpan<float> source, Span<byte> destination)
    {
        if (!CanQuantize(type))
        {
            throw new NotSupportedException($"quantizing to ggml type {type} is not supported (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K)");
        }

        if (ByteCount(type, source.Length) != destination.Length)
        {
            throw new ArgumentException($"{source.Length} values of {type} need {ByteCount(type, source.Length)} bytes, not {destination.Length}", nameof(destination));
        }

        switch (type)
        {
            case GgmlType.F32:
                for (var i = 0; i < source.Length; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(destination[(4 * i)..], source[i]);
                }

                break;
            case GgmlType.F16:
                for (var i = 0; i < source.Length; i++)
                {
                    BinaryPrimitives.WriteHalfLittleEndian(destination[(2 * i)..], (Half)source[i]);
                }

                break;
            case GgmlType.BF16:
                for (var i = 0; i < source.Length; i++)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(destination[(2 * i)..], ToBFloat16(source[i]));
                }

                break;
            case GgmlType.Q8_0:
                for (int b = 0, n = source.Length / QK; b < n; b++)
                {
                    QuantizeQ8_0(source.Slice(b * QK, QK), destination.Slice(b * 34, 34));
                }

                break;
            case GgmlType.Q4_0:
                for (int b = 0, n = source.Length / QK; b < n; b++)
                {
                    QuantizeQ4_0(source.Slice(b * QK, QK), destination.Slice(b * 18, 18));
                }

                break;
            case GgmlType.Q4_K:
                for (int b = 0, n = source.Length / QKK; b < n; b++)
                {
                    QuantizeQ4K(source.Slice(b * QKK, QKK), destination.Slice(b * 144, 144));
                }

                break;
            default:
                for (int b = 0, n = source.Length / QKK; b < n; b++)
                {
                    QuantizeQ6K(source.Slice(b * QKK, QKK), destination.Slice(b * 210, 210));
                }

                break;
        }
    }

    private static void ReverseEndianness(Span<float> values)
    {
        var bits = MemoryMarshal.Cast<float, uint>(values);
        BinaryPrimitives.ReverseEndianness(bits, bits);
    }

    private static float ReadHalf(ReadOnlySpan<byte> source, int offset) => (float)BinaryPrimitives.ReadHalfLittleEndian(source[offset..]);

    /// <summary>Rounds to nearest even; NaN stays a (quiet) NaN.</summary>
    private static ushort ToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x40);
        }

        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    // Q8_0: fp16 d, then 32 int8 quants; x = q·d.
    private static void DequantizeQ8_0(ReadOnlySpan<byte> block, Span<float> y)
    {
        var d = ReadHalf(block, 0);
        for (var j = 0; j < QK; j++)
        {
            y[j] = d * (sbyte)block[2 + j];
        }
    }

    private static void QuantizeQ8_0(ReadOnlySpan<float> x, Span<byte> block)
    {
        var amax = MaxAbs(x);
        var dh = (Half)(amax / 127f);
        var d = (float)dh;
        var id = d != 0 ? 1f / d : 0f;
        BinaryPrimitives.WriteHalfLittleEndian(block, dh);
        for (var j = 0; j < QK; j++)
        {
            block[2 + j] = (byte)(sbyte)Math.Clamp((int)MathF.Round(x[j] * id), -127, 127);
        }
    }

    // Q4_0: fp16 d, then 16 bytes; element j is the low nibble of byte j, element j+16 its high nibble; x = (q − 8)·d.
    private static void DequantizeQ4_0(ReadOnlySpan<byte> block, Span<float> y)
    {
        var d = ReadHalf(block, 0);
        for (var j = 0; j < QK / 2; j++)
        {
            var q = block[2 + j];
            y[j] = ((q & 0xF) - 8) * d;
            y[j + (QK / 2)] = ((q >> 4) - 8) * d;
        }
    }

    private static void QuantizeQ4_0(ReadOnlySpan<float> x, Span<byte> block)
    {
        // The value of largest magnitude maps to q = 0 (−8·d), so the scale carries its sign.
        var max = SignedMaxAbs(x);
        var dh = (Half)(max / -8f);
        var d = (float)dh;
        var id = d != 0 ? 1f / d : 0f;
        BinaryPrimitives.WriteHalfLittleEndian(block, dh);
        for (var j = 0; j < QK / 2; j++)
        {
            var lo = Math.Clamp((int)MathF.Round(x[j] * id) + 8, 0, 15);
            var hi = Math.Clamp((int)MathF.Round(x[j + (QK / 2)] * id) + 8, 0, 15);
            block[2 + j] = (byte)(lo | (hi << 4));
        }
    }

    // Q4_K: fp16 d, fp16 dmin, 12 bytes of 6-bit scales/mins for 8 sub-blocks of 32, 128 bytes of quants. Each 32-byte
    // chunk of quants holds two sub-blocks: low nibbles the first, high nibbles the second. x = d·sc·q − dmin·m.
    private static void DequantizeQ4K(ReadOnlySpan<byte> block, Span<float> y)
    {
        var d = ReadHalf(block, 0);
        var dmin = ReadHalf(block, 2);
        var scales = block.Slice(4, 12);
        var qs = block.Slice(16, 128);
        for (var chunk = 0; chunk < 4; chunk++)
        {
            var (sc1, m1) = ScaleMinK4(2 * chunk, scales);
            var (sc2, m2) = ScaleMinK4((2 * chunk) + 1, scales);
            float d1 = d * sc1, o1 = dmin * m1, d2 = d * sc2, o2 = dmin * m2;
            var q = qs.Slice(32 * chunk, 32);
            var yc = y.Slice(64 * chunk, 64);
            for (var l = 0; l < 32; l++)
            {
                yc[l] = (d1 * (q[l] & 0xF)) - o1;
                yc[l + 32] = (d2 * (q[l] >> 4)) - o2;
            }
        }
    }

    // Sub-blocks 0–3: scale and min are the low 6 bits of bytes j and j+4. Sub-blocks 4–7: the low 4 bits come from
    // byte j+4 (scale: low nibble, min: high nibble) and the high 2 bits from the top bits of bytes j−4 and j.
    private static (int Scale, int Min) ScaleMinK4(int j, ReadOnlySpan<byte> q) => j < 4
        ? (q[j] & 63, q[j + 4] & 63)
        : ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4));

    private static void QuantizeQ4K(ReadOnlySpan<float> x, Span<byte> block)
    {
        Span<float> subScale = stackalloc float[8];
        Span<float> subMin = stackalloc float[8];
        float maxScale = 0, maxMin = 0;
        for (var s = 0; s < 8; s++)
        {
            var sub = x.Slice(32 * s, 32);
            float lo = 0, hi = float.MinValue;
            foreach (var v in sub)
            {
                lo = MathF.Min(lo, v);
                hi = MathF.Max(hi, v);
            }

            subScale[s] = (hi - lo) / 15f;
            subMin[s] = -lo;
            maxScale = MathF.Max(maxScale, subScale[s]);
            maxMin = MathF.Max(maxMin, subMin[s]);
        }

        var dh = (Half)(maxScale / 63f);
        var dminh = (Half)(maxMin / 63f);
        float d = (float)dh, dmin = (float)dminh;
        Span<int> sc = stackalloc int[8];
        Span<int> m = stackalloc int[8];
        for (var s = 0; s < 8; s++)
        {
            sc[s] = d > 0 ? Math.Clamp((int)MathF.Round(subScale[s] / d), 0, 63) : 0;
            m[s] = dmin > 0 ? Math.Clamp((int)MathF.Round(subMin[s] / dmin), 0, 63) : 0;
        }

        BinaryPrimitives.WriteHalfLittleEndian(block, dh);
        BinaryPrimitives.WriteHalfLittleEndian(block[2..], dminh);
        var scales = block.Slice(4, 12);
        for (var j = 0; j < 4; j++)
        {
            scales[j] = (byte)((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
            scales[j + 4] = (byte)((m[j] & 63) | ((m[j + 4] >> 4) << 6));
            scales[j + 8] = (byte)((sc[j + 4] & 0xF) | ((m[j + 4] & 0xF) << 4));
        }

        var qs = block.Slice(16, 128);
        for (var chunk = 0; chunk < 4; chunk++)
        {
            for (var l = 0; l < 32; l++)
            {
                var lo = Q4KLevel(x[(64 * chunk) + l], d * sc[2 * chunk], dmin * m[2 * chunk]);
                var hi = Q4KLevel(x[(64 * chunk) + 32 + l], d * sc[(2 * chunk) + 1], dmin * m[(2 * chunk) + 1]);
                qs[(32 * chunk) + l] = (byte)(lo | (hi << 4));
            }
        }
    }

    private static int Q4KLevel(float x, float scale, float offset) =>
        scale > 0 ? Math.Clamp((int)MathF.Round((x + offset) / scale), 0, 15) : 0;

    // Q6_K: 128 bytes ql (low 4 bits), 64 bytes qh (high 2 bits), 16 int8 scales (one per 16 values), fp16 d.
    // Per half of 128 values, for l in 0..31: ql[l] holds the low nibbles of values l (low) and l+64 (high),
    // ql[l+32] those of l+32 and l+96; qh[l] holds the high bit pairs of l, l+32, l+64, l+96 (bits 0–1, 2–3, 4–5, 6–7).
    // x = d·scale·(q − 32).
    private static void DequantizeQ6K(ReadOnlySpan<byte> block, Span<float> y)
    {
        var d = ReadHalf(block, 208);
        for (var half = 0; half < 2; half++)
        {
            var ql = block.Slice(64 * half, 64);
            var qh = block.Slice(128 + (32 * half), 32);
            var sc = block.Slice(192 + (8 * half), 8);
            var yh = y.Slice(128 * half, 128);
            for (var l = 0; l < 32; l++)
            {
                var g = l / 16;
                var q1 = (ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4);
                var q2 = (ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4);
                var q3 = (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4);
                var q4 = (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4);
                yh[l] = d * (sbyte)sc[g] * (q1 - 32);
                yh[l + 32] = d * (sbyte)sc[g + 2] * (q2 - 32);
                yh[l + 64] = d * (sbyte)sc[g + 4] * (q3 - 32);
                yh[l + 96] = d * (sbyte)sc[g + 6] * (q4 - 32);
            }
        }
    }

    private static void QuantizeQ6K(ReadOnlySpan<float> x, Span<byte> block)
    {
        // Each group of 16 gets a scale that maps its value of largest magnitude to q − 32 = −32; the int8 group
        // scales share one fp16 d.
        Span<float> groupScale = stackalloc float[16];
        float maxAbsScale = 0;
        for (var g = 0; g < 16; g++)
        {
            groupScale[g] = SignedMaxAbs(x.Slice(16 * g, 16)) / -32f;
            maxAbsScale = MathF.Max(maxAbsScale, MathF.Abs(groupScale[g]));
        }

        var dh = (Half)(maxAbsScale / 127f);
        var d = (float)dh;
        Span<int> q = stackalloc int[QKK];
        for (var g = 0; g < 16; g++)
        {
            var sc = d > 0 ? Math.Clamp((int)MathF.Round(groupScale[g] / d), -127, 127) : 0;
            block[192 + g] = (byte)(sbyte)sc;
            var scale = d * sc;
            for (var i = 16 * g; i < (16 * g) + 16; i++)
            {
                q[i] = scale != 0 ? Math.Clamp((int)MathF.Round(x[i] / scale), -32, 31) + 32 : 32;
            }
        }

        BinaryPrimitives.WriteHalfLittleEndian(block[208..], dh);
        for (var half = 0; half < 2; half++)
        {
            var ql = block.Slice(64 * half, 64);
            var qh = block.Slice(128 + (32 * half), 32);
            var qq = q.Slice(128 * half, 128);
            for (var l = 0; l < 32; l++)
            {
                int q1 = qq[l], q2 = qq[l + 32], q3 = qq[l + 64], q4 = qq[l + 96];
                ql[l] = (byte)((q1 & 0xF) | ((q3 & 0xF) << 4));
                ql[l + 32] = (byte)((q2 & 0xF) | ((q4 & 0xF) << 4));
                qh[l] = (byte)((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
            }
        }
    }

    private static float MaxAbs(ReadOnlySpan<float> x)
    {
        float amax = 0;
        foreach (var v in x)
        {
            amax = MathF.Max(amax, MathF.Abs(v));
        }

        return amax;
    }

    private static float SignedMaxAbs(ReadOnlySpan<float> x)
    {
        float amax = 0, max = 0;
        foreach (var v in x)
        {
            if (MathF.Abs(v) > amax)
            {
                amax = MathF.Abs(v);
                max = v;
            }
        }

        return max;
    }
}
