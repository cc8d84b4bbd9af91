// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Binary;
using System.Text;
using KwaaiNet.Inference.Gguf;

namespace KwaaiNet.Inference.Tests.Gguf;

/// <summary>Corrupt and hostile files: each is refused with a <see cref="GgufFormatException"/> that says why.</summary>
public sealed class GgufBadInputTests : IDisposable
{
    private static readonly ulong[] EmbShape = [64, 2];
    private static readonly ulong[] LastShape = [32];
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>
    /// Metadata (a string, a bool, a string array) and two tensors; the last tensor is 128 bytes, a multiple of the
    /// alignment, so the file has no trailing padding and every shorter prefix is invalid.
    /// </summary>
    private static byte[] ValidFile()
    {
        var random = new Random(5);
        var emb = new float[128];
        var last = new float[32];
        for (var i = 0; i < emb.Length; i++)
        {
            emb[i] = random.NextSingle();
        }

        return new GgufWriter()
            .AddString("general.architecture", "llama")
            .AddBool("flag", true)
            .AddStringArray("tokens", ["a", "bb", "ccc"])
            .AddTensor("emb", emb, EmbShape, GgmlType.Q8_0)
            .AddTensor("last", last, LastShape, GgmlType.F32)
            .ToArray();
    }

    /// <summary>The index just past the length-prefixed <paramref name="text"/> in the header.</summary>
    private static int After(byte[] file, string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        var needle = new byte[8 + utf8.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(needle, (ulong)utf8.Length);
        utf8.CopyTo(needle, 8);
        var at = file.AsSpan().IndexOf(needle);
        Assert.True(at >= 0, $"'{text}' not in the file");
        return at + needle.Length;
    }

    private GgufFormatException Rejected(byte[] bytes, string expected, GgufReadLimits? limits = null)
    {
        var path = _temp.File("bad.gguf");
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<GgufFormatException>(() => GgufFile.Open(path, limits).Dispose());
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        return ex;
    }

    [Fact]
    public void ValidFile_Opens()
    {
        var path = _temp.File("good.gguf");
        File.WriteAllBytes(path, ValidFile());
        using var file = GgufFile.Open(path);
        Assert.Equal(2, file.Tensors.Count);
        Assert.Equal(new float[32], file.ReadFloat32(file.GetTensor("last")));
    }

    [Fact]
    public void Truncated_AtEveryOffset_IsRefused()
    {
        var bytes = ValidFile();
        var path = _temp.File("cut.gguf");
        for (var length = 0; length < bytes.Length; length++)
        {
            File.WriteAllBytes(path, bytes[..length]);
            var ex = Assert.Throws<GgufFormatException>(() => GgufFile.Open(path).Dispose());
            Assert.Contains("offset", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void WrongMagic_IsRefused()
    {
        var bytes = ValidFile();
        bytes[0] = (byte)'X';
        Rejected(bytes, "not a GGUF file");
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(4u)]
    [InlineData(0xFFFFFFFFu)]
    public void UnsupportedVersion_IsRefused(uint version)
    {
        var bytes = ValidFile();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), version);
        Rejected(bytes, $"unsupported GGUF version {version}");
    }

    [Fact]
    public void TensorOffsetOutsideFile_IsRefused()
    {
        var bytes = ValidFile();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(After(bytes, "last") + 4 + 8 + 4), 1UL << 20);
        Rejected(bytes, "tensor 'last' (F32, 32 values, 128 bytes at data offset 1048576) lies outside the file");
    }

    [Fact]
    public void MisalignedOffset_IsRefused()
    {
        var bytes = ValidFile();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(After(bytes, "last") + 4 + 8 + 4), 4);
        Rejected(bytes, "tensor 'last' offset 4 is not a multiple of the alignment 32");
    }

    [Theory]
    [InlineData(4u)]
    [InlineData(31u)]
    [InlineData(1000u)]
    public void UnknownTensorType_IsRefused(uint typeId)
    {
        var bytes = ValidFile();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(After(bytes, "last") + 4 + 8), typeId);
        Rejected(bytes, $"tensor 'last' has unknown ggml type id {typeId}");
    }

    [Fact]
    public void FirstDimensionNotWholeBlocks_IsRefused()
    {
        var bytes = ValidFile();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(After(bytes, "emb") + 4), 48);
        Rejected(bytes, "not a multiple of the Q8_0 block size 32");
    }

    [Fact]
    public void ElementCountLargerThanData_IsRefused()
    {
        // 64 × 1000 Q8_0 values need 68,000 bytes; the file has a few hundred.
        var bytes = ValidFile();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(After(bytes, "emb") + 4 + 8), 1000);
        Rejected(bytes, "tensor 'emb' (Q8_0, 64000 values, 68000 bytes");
    }

    [Fact]
    public void ElementCountOverflow_IsRefused()
    {
        var bytes = ValidFile();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(After(bytes, "emb") + 4), 1UL << 62);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(After(bytes, "emb") + 4 + 8), 4);
        Rejected(bytes, "overflows");
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(5u)]
    [InlineData(0x80000000u)]
    public void DimensionCountOutOfRange_IsRefused(uint nDims)
    {
        var bytes = ValidFile();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(After(bytes, "emb")), nDims);
        Rejected(bytes, $"tensor 'emb' has {nDims} dimensions");
    }

    [Fact]
    public void HugeStringLength_IsRefusedWithoutAllocating()
    {
        var bytes = ValidFile();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(24), 1UL << 40);
        Rejected(bytes, "metadata key #0: string length 1099511627776 exceeds the limit");

        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(24), 1000);
        Rejected(bytes, "runs past the end of the file");
    }

    [Fact]
    public void HugeArrayLength_IsRefusedWithoutAllocating()
    {
        var bytes = ValidFile();
        var count = After(bytes, "tokens") + 4 + 4;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(count), 1UL << 40);
        Rejected(bytes, "metadata 'tokens': array of 1099511627776 elements exceeds the limit");

        // Under the limit but more 8-byte string headers than the file has bytes.
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(count), 1_000_000);
        Rejected(bytes, "array of 1000000 String elements runs past the end of the file");
    }

    [Fact]
    public void TooManyTensorsOrMetadata_IsRefused()
    {
        var bytes = ValidFile();
        Rejected(bytes, "tensor count 2 exceeds the limit of 1", GgufReadLimits.Default with { MaxTensors = 1 });
        Rejected(bytes, "metadata count 3 exceeds the limit of 2", GgufReadLimits.Default with { MaxMetadataEntries = 2 });
        Rejected(bytes, "array of 3 elements exceeds the limit of 2", GgufReadLimits.Default with { MaxArrayElements = 2 });
        Rejected(bytes, "exceeds the limit of 4 bytes", GgufReadLimits.Default with { MaxStringBytes = 4 });

        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), 1UL << 40);
        Rejected(bytes, "tensor count 1099511627776 exceeds the limit");
    }

    [Fact]
    public void BadMetadataValues_AreRefused()
    {
        var bytes = ValidFile();
        var typeAt = After(bytes, "general.architecture");
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(typeAt), 13);
        Rejected(bytes, "metadata 'general.architecture': unknown value type 13");

        bytes = ValidFile();
        bytes[After(bytes, "flag") + 4] = 2;
        Rejected(bytes, "metadata 'flag': bool byte is 2");

        bytes = ValidFile();
        bytes[After(bytes, "flag") - 1] = 0xFF;
        Rejected(bytes, "not valid UTF-8");

        bytes = new GgufWriter().AddString("k1", "a").AddString("k2", "b").ToArray();
        bytes[After(bytes, "k2") - 1] = (byte)'1';
        Rejected(bytes, "duplicate metadata key 'k1'");
    }

    [Fact]
    public void DuplicateTensorName_IsRefused()
    {
        float[] one = [1f];
        var bytes = new GgufWriter().AddTensor("ta", one, [1], GgmlType.F32).AddTensor("tb", one, [1], GgmlType.F32).ToArray();
        bytes[After(bytes, "tb") - 1] = (byte)'a';
        Rejected(bytes, "duplicate tensor name 'ta'");
    }

    [Theory]
    [InlineData(3u)]
    [InlineData(0u)]
    [InlineData(1u << 30)]
    public void BadAlignment_IsRefused(uint alignment)
    {
        var bytes = new GgufWriter().Add("general.alignment", GgufValue.FromUInt32(alignment)).ToArray();
        Rejected(bytes, $"'general.alignment' is {alignment}, expected a power of two");
    }

    [Fact]
    public void AlignmentOfWrongType_IsRefused()
    {
        var bytes = new GgufWriter().AddString("general.alignment", "32").ToArray();
        Rejected(bytes, "'general.alignment' is a String");
    }

    [Fact]
    public void RandomCorruption_OnlyEverGivesFormatErrors()
    {
        var valid = ValidFile();
        var headerEnd = After(valid, "last") + 4 + 8 + 4 + 8;
        var random = new Random(11);
        var path = _temp.File("fuzz.gguf");
        for (var round = 0; round < 400; round++)
        {
            var bytes = (byte[])valid.Clone();
            for (var k = 0; k < 1 + random.Next(4); k++)
            {
                bytes[random.Next(headerEnd)] = (byte)random.Next(256);
            }

            File.WriteAllBytes(path, bytes);
            try
            {
                using var file = GgufFile.Open(path);
                foreach (var t in file.Tensors.Where(t => GgmlCodec.CanDequantize(t.Type)))
                {
                    Assert.Equal(t.ElementCount, file.ReadFloat32(t).Length);
                }
            }
            catch (GgufFormatException ex)
            {
                Assert.False(string.IsNullOrWhiteSpace(ex.Message));
            }
        }
    }
}
