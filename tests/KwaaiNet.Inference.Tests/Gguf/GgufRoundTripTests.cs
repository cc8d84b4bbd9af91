// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Gguf;

namespace KwaaiNet.Inference.Tests.Gguf;

public sealed class GgufRoundTripTests
{
    private static readonly ulong[] MatrixShape = [512, 3];

    [Fact]
    public void Metadata_EveryValueType_RoundTrips()
    {
        using var temp = new TempFolder();
        var path = temp.File("meta.gguf");
        byte[] u8s = [0, 255];
        sbyte[] i8s = [-128, 127];
        ushort[] u16s = [1, 65_535];
        short[] i16s = [-32_768, 5];
        uint[] u32s = [uint.MaxValue];
        int[] i32s = [int.MinValue, 0, 7];
        float[] f32s = [1.5f, -0f, float.Epsilon];
        bool[] bools = [true, false, true];
        string[] strs = ["", "<0x0A>", "\u2581the"];
        ulong[] u64s = [1UL << 63];
        long[] i64s = [-1];
        double[] f64s = [-2.5, 1e300];
        int[] inner0 = [1, -2];
        string[] inner1 = ["x", "yz"];
        var nested = GgufValue.FromArray([GgufValue.FromArray(inner0), GgufValue.FromArray(inner1), GgufValue.FromArray(Array.Empty<float>())]);
        new GgufWriter()
            .Add("u8", GgufValue.FromUInt8(200))
            .Add("i8", GgufValue.FromInt8(-100))
            .Add("u16", GgufValue.FromUInt16(60_000))
            .Add("i16", GgufValue.FromInt16(-30_000))
            .AddUInt32("u32", 4_000_000_000)
            .AddInt32("i32", -2_000_000_000)
            .AddFloat32("f32", 3.25f)
            .AddBool("bool", true)
            .AddString("str", "llama \u2581 caf\u00e9 \U0001F999")
            .Add("u64", GgufValue.FromUInt64(ulong.MaxValue))
            .Add("i64", GgufValue.FromInt64(long.MinValue))
            .Add("f64", GgufValue.FromFloat64(Math.PI))
            .Add("a.u8", GgufValue.FromArray(u8s))
            .Add("a.i8", GgufValue.FromArray(i8s))
            .Add("a.u16", GgufValue.FromArray(u16s))
            .Add("a.i16", GgufValue.FromArray(i16s))
            .Add("a.u32", GgufValue.FromArray(u32s))
            .AddInt32Array("a.i32", i32s)
            .AddFloat32Array("a.f32", f32s)
            .Add("a.bool", GgufValue.FromArray(bools))
            .AddStringArray("a.str", strs)
            .Add("a.u64", GgufValue.FromArray(u64s))
            .Add("a.i64", GgufValue.FromArray(i64s))
            .Add("a.f64", GgufValue.FromArray(f64s))
            .Add("a.nested", nested)
            .AddStringArray("a.empty", [])
            .WriteTo(path);

        using var file = GgufFile.Open(path);

        Assert.Equal(3u, file.Version);
        Assert.Empty(file.Tensors);
        Assert.Equal(26, file.Metadata.Count);
        Assert.Equal((byte)200, file.Metadata["u8"].Value);
        Assert.Equal((sbyte)-100, file.Metadata["i8"].Value);
        Assert.Equal((ushort)60_000, file.Metadata["u16"].Value);
        Assert.Equal((short)-30_000, file.Metadata["i16"].Value);
        Assert.Equal(4_000_000_000u, file.GetUInt32("u32"));
        Assert.Equal(-2_000_000_000, file.GetInt32("i32"));
        Assert.Equal(3.25f, file.GetFloat32("f32"));
        Assert.True(file.GetBool("bool"));
        Assert.Equal("llama \u2581 caf\u00e9 \U0001F999", file.GetString("str"));
        Assert.Equal(ulong.MaxValue, file.Metadata["u64"].Value);
        Assert.Equal(long.MinValue, file.GetInt64("i64"));
        Assert.Equal(Math.PI, file.Metadata["f64"].AsFloat64());
        Assert.Equal(u8s, file.GetArray<byte>("a.u8"));
        Assert.Equal(i8s, file.GetArray<sbyte>("a.i8"));
        Assert.Equal(u16s, file.GetArray<ushort>("a.u16"));
        Assert.Equal(i16s, file.GetArray<short>("a.i16"));
        Assert.Equal(u32s, file.GetArray<uint>("a.u32"));
        Assert.Equal(i32s, file.GetArray<int>("a.i32"));
        Assert.Equal(f32s, file.GetArray<float>("a.f32"));
        Assert.Equal(bools, file.GetArray<bool>("a.bool"));
        Assert.Equal(strs, file.GetArray<string>("a.str"));
        Assert.Equal(u64s, file.GetArray<ulong>("a.u64"));
        Assert.Equal(i64s, file.GetArray<long>("a.i64"));
        Assert.Equal(f64s, file.GetArray<double>("a.f64"));
        var arrays = file.GetArray<GgufValue>("a.nested");
        Assert.Equal(GgufValueType.Array, file.Metadata["a.nested"].ElementType);
        Assert.Equal(inner0, arrays[0].AsArray<int>());
        Assert.Equal(inner1, arrays[1].AsArray<string>());
        Assert.Empty(arrays[2].AsArray<float>());
        Assert.Empty(file.GetArray<string>("a.empty"));
        Assert.Equal(GgufValueType.String, file.Metadata["a.empty"].ElementType);
    }

    [Fact]
    public void Metadata_WrongTypeOrMissingKey_ThrowsNamingTheKey()
    {
        using var temp = new TempFolder();
        var path = temp.File("meta.gguf");
        new GgufWriter().AddString("name", "x").AddInt32("negative", -1).WriteTo(path);
        using var file = GgufFile.Open(path);

        Assert.Contains("'name'", Assert.Throws<GgufFormatException>(() => file.GetUInt32("name")).Message, StringComparison.Ordinal);
        Assert.Contains("'negative'", Assert.Throws<GgufFormatException>(() => file.GetUInt32("negative")).Message, StringComparison.Ordinal);
        Assert.Contains("'absent'", Assert.Throws<GgufFormatException>(() => file.GetString("absent")).Message, StringComparison.Ordinal);
        Assert.False(file.TryGetFloat32("absent", out _));
        Assert.Throws<GgufFormatException>(() => file.TryGetFloat32("name", out _));
    }

    public static TheoryData<GgmlType> SupportedTypes =>
        [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K];

    [Theory]
    [MemberData(nameof(SupportedTypes))]
    public void Tensor_EverySupportedType_DequantizesCloseToInput(GgmlType type)
    {
        using var temp = new TempFolder();
        var path = temp.File("t.gguf");
        var random = new Random(42);
        var input = new float[512 * 3];
        for (var i = 0; i < input.Length; i++)
        {
            // Blocks of very different magnitudes, with an offset in some, so per-block scales and mins matter.
            var block = i / 32;
            input[i] = (((2 * random.NextSingle()) - 1) * (1 + (block % 5))) + (block % 3 == 0 ? 2f : 0f);
        }

        new GgufWriter().AddTensor("w", input, MatrixShape, type).AddTensor("bias", input.AsSpan(0, 32), [32], GgmlType.F32).WriteTo(path);
        using var file = GgufFile.Open(path);

        var info = file.GetTensor("w");
        Assert.Equal(type, info.Type);
        Assert.Equal(MatrixShape, info.Dimensions);
        Assert.Equal(GgmlCodec.ByteCount(type, input.Length), info.ByteSize);
        Assert.Equal(info.ByteSize, file.TensorBytes(info).Length);
        var output = file.ReadFloat32(info);
        Assert.Equal(input.Length, output.Length);

        // Error bound per block of the type, relative to the block's largest magnitude (a) or range (r):
        // F32 exact; F16 and BF16 are the conversions themselves; Q8_0 half a step of a/127 plus fp16 scale rounding;
        // Q4_0 one step a/8 (the value opposite the largest maps to +8 and is clamped to +7); Q4_K half a step of
        // r/15 plus the 6-bit rounding of sub-block scales and mins against the super-block; Q6_K one step a/32 plus
        // the int8 rounding of group scales.
        var blockSize = Math.Max(GgmlCodec.BlockSize(type), 32);
        for (var b = 0; b < input.Length / blockSize; b++)
        {
            var block = input.AsSpan(b * blockSize, blockSize);
            float amax = 0, lo = 0, hi = 0;
            foreach (var v in block)
            {
                amax = Math.Max(amax, Math.Abs(v));
                lo = Math.Min(lo, v);
                hi = Math.Max(hi, v);
            }

            for (var j = 0; j < blockSize; j++)
            {
                var x = block[j];
                var y = output[(b * blockSize) + j];
                switch (type)
                {
                    case GgmlType.F32: Assert.Equal(x, y); break;
                    case GgmlType.F16: Assert.Equal((float)(Half)x, y); break;
                    case GgmlType.BF16: Assert.True(Math.Abs(x - y) <= Math.Abs(x) / 256, $"{x} vs {y}"); break;
                    case GgmlType.Q8_0: Assert.True(Math.Abs(x - y) <= amax / 100, $"block {b}: {x} vs {y}"); break;
                    case GgmlType.Q4_0: Assert.True(Math.Abs(x - y) <= amax / 7.9f, $"block {b}: {x} vs {y}"); break;
                    case GgmlType.Q4_K: Assert.True(Math.Abs(x - y) <= (hi - lo) / 20, $"block {b}: {x} vs {y}"); break;
                    default: Assert.True(Math.Abs(x - y) <= amax / 24, $"block {b}: {x} vs {y}"); break;
                }
            }
        }

        Assert.Equal(input.AsSpan(0, 32).ToArray(), file.ReadFloat32(file.GetTensor("bias")));
    }

    [Fact]
    public void Tensors_CustomAlignment_AreAlignedAndReadBack()
    {
        using var temp = new TempFolder();
        var path = temp.File("a.gguf");
        float[] a = [1, 2, 3], b = [4, 5];
        new GgufWriter(alignment: 64).AddTensor("a", a, [3], GgmlType.F32).AddTensor("b", b, [2], GgmlType.F32).WriteTo(path);

        using var file = GgufFile.Open(path);

        Assert.Equal(64, file.Alignment);
        Assert.Equal(64u, file.GetUInt32("general.alignment"));
        Assert.Equal(0, file.DataStart % 64);
        Assert.All(file.Tensors, t => Assert.Equal(0ul, t.Offset % 64));
        Assert.Equal(a, file.ReadFloat32(file.GetTensor("a")));
        Assert.Equal(b, file.ReadFloat32(file.GetTensor("b")));
    }

    [Fact]
    public void Tensor_KnownUnsupportedType_GivesBytesButNotFloats()
    {
        using var temp = new TempFolder();
        var path = temp.File("q5k.gguf");
        var raw = new byte[176];
        new Random(3).NextBytes(raw);
        new GgufWriter().AddRawTensor("q", [256], GgmlType.Q5_K, raw).WriteTo(path);

        using var file = GgufFile.Open(path);
        var info = file.GetTensor("q");

        Assert.Equal(raw, file.TensorBytes(info).ToArray());
        var ex = Assert.Throws<NotSupportedException>(() => file.ReadFloat32(info));
        Assert.Contains("Q5_K", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_VersionTwo_IsRead()
    {
        var bytes = new GgufWriter().AddString("k", "v").ToArray();
        bytes[4] = 2;
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.File("v2.gguf"), bytes);

        using var file = GgufFile.Open(temp.File("v2.gguf"));

        Assert.Equal(2u, file.Version);
        Assert.Equal("v", file.GetString("k"));
    }

    [Fact]
    public void TensorBytes_AfterDispose_Throws()
    {
        using var temp = new TempFolder();
        new GgufWriter().AddTensor("a", [1f], [1], GgmlType.F32).WriteTo(temp.File("d.gguf"));
        var file = GgufFile.Open(temp.File("d.gguf"));
        var info = file.GetTensor("a");
        file.Dispose();

        Assert.Throws<ObjectDisposedException>(() => file.ReadFloat32(info));
    }
}
