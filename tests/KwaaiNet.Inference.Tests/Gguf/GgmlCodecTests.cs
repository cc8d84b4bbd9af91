// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Gguf;

namespace KwaaiNet.Inference.Tests.Gguf;

/// <summary>Single blocks built byte by byte from the format's description, decoded by <see cref="GgmlCodec"/>.</summary>
public sealed class GgmlCodecTests
{
    private const ushort HalfOne = 0x3C00;      // 1.0
    private const ushort HalfHalf = 0x3800;     // 0.5
    private const ushort HalfTwo = 0x4000;      // 2.0
    private const ushort HalfQuarter = 0x3400;  // 0.25

    private static void PutHalf(byte[] block, int at, ushort bits) => (block[at], block[at + 1]) = ((byte)bits, (byte)(bits >> 8));

    [Fact]
    public void Q8_0_Block_IsScaleTimesSignedByte()
    {
        // d = 0.5, q[j] = j − 16  ⇒  x[j] = 0.5·(j − 16): x[0] = −8, x[16] = 0, x[31] = 7.5.
        var block = new byte[34];
        PutHalf(block, 0, HalfHalf);
        for (var j = 0; j < 32; j++)
        {
            block[2 + j] = (byte)(sbyte)(j - 16);
        }

        var y = new float[32];
        GgmlCodec.Dequantize(GgmlType.Q8_0, block, y);

        for (var j = 0; j < 32; j++)
        {
            Assert.Equal(0.5f * (j - 16), y[j]);
        }

        Assert.Equal(-8f, y[0]);
        Assert.Equal(7.5f, y[31]);
    }

    [Fact]
    public void Q4_0_Block_LowNibblesFirstHalfHighNibblesSecond()
    {
        // d = 2, byte j = (j & 15) | ((15 − j) << 4)  ⇒  x[j] = 2·(j − 8), x[j + 16] = 2·(7 − j):
        // x[0] = −16, x[15] = 14, x[16] = 14, x[31] = −16.
        var block = new byte[18];
        PutHalf(block, 0, HalfTwo);
        for (var j = 0; j < 16; j++)
        {
            block[2 + j] = (byte)(j | ((15 - j) << 4));
        }

        var y = new float[32];
        GgmlCodec.Dequantize(GgmlType.Q4_0, block, y);

        for (var j = 0; j < 16; j++)
        {
            Assert.Equal(2f * (j - 8), y[j]);
            Assert.Equal(2f * (7 - j), y[j + 16]);
        }

        Assert.Equal(-16f, y[0]);
        Assert.Equal(-16f, y[31]);
    }

    [Fact]
    public void Q4_K_Block_SixBitScalesAndMinsPerSubBlock()
    {
        // d = 1, dmin = 0.5; sub-block s (32 values) has 6-bit scale sc[s] and min m[s]; value i has the 4-bit quant
        // q = (7·i) mod 16 and is d·sc[s]·q − dmin·m[s]. Sub-blocks 4–7 use scales ≥ 16 so their high two bits
        // travel in the top bits of bytes 0–7. E.g. i = 0: s = 0, q = 0 ⇒ −0.5·0 = 0; i = 1: q = 7 ⇒ 1·1·7 − 0 = 7;
        // i = 255: s = 7, q = 1785 mod 16 = 9 ⇒ 63·9 − 0.5·63 = 535.5.
        int[] sc = [1, 2, 3, 4, 17, 33, 50, 63];
        int[] m = [0, 1, 2, 3, 20, 40, 48, 63];
        var block = new byte[144];
        PutHalf(block, 0, HalfOne);
        PutHalf(block, 2, HalfHalf);

        // Scales bytes 0–3: scale j (low 6 bits) | high 2 bits of scale j+4; bytes 4–7: min j | high 2 bits of min j+4;
        // bytes 8–11: low 4 bits of scale j+4 | low 4 bits of min j+4 in the high nibble.
        for (var j = 0; j < 4; j++)
        {
            block[4 + j] = (byte)(sc[j] | ((sc[j + 4] >> 4) << 6));
            block[4 + j + 4] = (byte)(m[j] | ((m[j + 4] >> 4) << 6));
            block[4 + j + 8] = (byte)((sc[j + 4] & 15) | ((m[j + 4] & 15) << 4));
        }

        // Quants: 32-byte chunk c holds sub-block 2c in low nibbles and 2c+1 in high nibbles.
        for (var i = 0; i < 256; i++)
        {
            var q = 7 * i % 16;
            var within = i % 64;
            var at = 16 + (32 * (i / 64)) + (within % 32);
            block[at] |= (byte)(within < 32 ? q : q << 4);
        }

        var y = new float[256];
        GgmlCodec.Dequantize(GgmlType.Q4_K, block, y);

        for (var i = 0; i < 256; i++)
        {
            var s = i / 32;
            Assert.Equal((1f * sc[s] * (7 * i % 16)) - (0.5f * m[s]), y[i]);
        }

        Assert.Equal(0f, y[0]);
        Assert.Equal(7f, y[1]);
        Assert.Equal(535.5f, y[255]);
    }

    [Fact]
    public void Q6_K_Block_LowNibblesHighPairsAndInt8Scales()
    {
        // d = 0.25; group g (16 values) has int8 scale g − 8; value i has the 6-bit quant q = (5·i) mod 64 and is
        // d·scale·(q − 32). Per half of 128 values, value r = 32k + l has its low nibble in ql[l + 32·(k mod 2)]
        // (high nibble when k ≥ 2) and its high two bits in qh[l] at bit 2k. E.g. i = 0: g = 0, q = 0 ⇒
        // 0.25·(−8)·(−32) = 64; i = 255: g = 15, q = 1275 mod 64 = 59 ⇒ 0.25·7·27 = 47.25.
        var block = new byte[210];
        for (var g = 0; g < 16; g++)
        {
            block[192 + g] = (byte)(sbyte)(g - 8);
        }

        PutHalf(block, 208, HalfQuarter);
        for (var i = 0; i < 256; i++)
        {
            var q = 5 * i % 64;
            int half = i / 128, r = i % 128, k = r / 32, l = r % 32;
            var low = (64 * half) + l + (k % 2 == 1 ? 32 : 0);
            block[low] |= (byte)(k >= 2 ? (q & 15) << 4 : q & 15);
            block[128 + (32 * half) + l] |= (byte)((q >> 4) << (2 * k));
        }

        var y = new float[256];
        GgmlCodec.Dequantize(GgmlType.Q6_K, block, y);

        for (var i = 0; i < 256; i++)
        {
            Assert.Equal(0.25f * ((i / 16) - 8) * ((5 * i % 64) - 32), y[i]);
        }

        Assert.Equal(64f, y[0]);
        Assert.Equal(47.25f, y[255]);
    }

    [Fact]
    public void F16AndBF16_AreLittleEndianHalfAndUpperFloatBits()
    {
        // F16 0x3C00 = 1, 0xC000 = −2; BF16 0x3F80 = 1 (float 0x3F800000), 0xC040 = −3 (float 0xC0400000).
        byte[] f16 = [0x00, 0x3C, 0x00, 0xC0];
        byte[] bf16 = [0x80, 0x3F, 0x40, 0xC0];
        var y = new float[2];

        GgmlCodec.Dequantize(GgmlType.F16, f16, y);
        Assert.Equal(1f, y[0]);
        Assert.Equal(-2f, y[1]);

        GgmlCodec.Dequantize(GgmlType.BF16, bf16, y);
        Assert.Equal(1f, y[0]);
        Assert.Equal(-3f, y[1]);
    }

    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q6_K)]
    public void Quantize_ZeroBlock_DecodesToZeros(GgmlType type)
    {
        var n = GgmlCodec.BlockSize(type);
        var bytes = new byte[GgmlCodec.BlockBytes(type)];
        GgmlCodec.Quantize(type, new float[n], bytes);

        var y = new float[n];
        Array.Fill(y, float.NaN);
        GgmlCodec.Dequantize(type, bytes, y);

        Assert.All(y, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Dequantize_KnownUnsupportedType_ThrowsNotSupportedNamingIt()
    {
        var ex = Assert.Throws<NotSupportedException>(() => GgmlCodec.Dequantize(GgmlType.Q5_K, new byte[176], new float[256]));
        Assert.Contains("Q5_K", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dequantize_WrongLengths_Throws() =>
        Assert.Throws<ArgumentException>(() => GgmlCodec.Dequantize(GgmlType.Q8_0, new byte[34], new float[31]));
}
