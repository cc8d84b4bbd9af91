// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text;
using Google.Protobuf;
using KwaaiNet.Hivemind.Compression;
using KwaaiNet.Hivemind.Protos;

namespace KwaaiNet.Hivemind.Tests.Compression;

/// <summary>hivemind's tensor serialization against the bytes in the research notes (petals-protocol.md §4).</summary>
public sealed class TensorCodecTests
{
    [Fact]
    public void Dummy_MatchesTheVector()
    {
        var tensor = TensorCodec.Serialize([0], TensorDTypes.Float32Name, []);

        Assert.Equal("120100" + "2207" + Hex("float32"), Convert.ToHexStringLower(tensor.ToByteArray()));
    }

    [Fact]
    public void DummyInt64_MatchesTheVector()
    {
        var tensor = TensorCodec.Serialize([0], TensorDTypes.Int64Name, []);

        Assert.Equal("120100" + "2205" + Hex("int64"), Convert.ToHexStringLower(tensor.ToByteArray()));
    }

    [Fact]
    public void Float16Example_MatchesTheVector()
    {
        var tensor = TensorCodec.Serialize([1, 1, 4], [1f, 2f, -1f, 0.5f], TensorDTypes.Float16Name);

        Assert.Equal("0a08003c004000bc0038" + "1203010104" + "2207" + Hex("float16"), Convert.ToHexStringLower(tensor.ToByteArray()));
    }

    [Fact]
    public void Float16Example_ReadsBack()
    {
        var bytes = Convert.FromHexString("0a08003c004000bc0038" + "1203010104" + "2207" + Hex("float16"));

        var tensor = TensorCodec.Deserialize(Tensor.Parser.ParseFrom(bytes));

        Assert.Equal([1, 1, 4], tensor.Shape);
        Assert.Equal("float16", tensor.DType);
        Assert.Equal(4, tensor.ElementCount);
        Assert.Equal([1f, 2f, -1f, 0.5f], TensorCodec.ToSingles(tensor));
    }

    [Theory]
    [InlineData("float32", 4)]
    [InlineData("float16", 2)]
    [InlineData("bfloat16", 2)]
    [InlineData("float64", 8)]
    [InlineData("int64", 8)]
    [InlineData("int32", 4)]
    [InlineData("int16", 2)]
    [InlineData("int8", 1)]
    [InlineData("uint8", 1)]
    [InlineData("bool", 1)]
    public void RawElements_RoundTripForEveryDType(string dtype, int itemSize)
    {
        var data = new byte[2 * 3 * itemSize];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = dtype == "bool" ? (byte)(i % 2) : (byte)(i * 37 + 1);
        }

        var tensor = TensorCodec.Serialize([2, 3], dtype, data, requiresGrad: true);
        var decoded = TensorCodec.Deserialize(Tensor.Parser.ParseFrom(tensor.ToByteArray()));

        Assert.Equal(data.Length, tensor.Buffer.Length);
        Assert.Equal(dtype, decoded.DType);
        Assert.Equal([2, 3], decoded.Shape);
        Assert.Equal(data, decoded.Data);
        Assert.True(decoded.RequiresGrad);
        Assert.Equal(6, decoded.ElementCount);
    }

    [Theory]
    [InlineData("float32")]
    [InlineData("float16")]
    [InlineData("bfloat16")]
    [InlineData("float64")]
    public void FloatValues_RoundTripForEveryFloatDType(string dtype)
    {
        float[] values = [1f, -2.5f, 0.15625f, 3f, 0f, -0.5f];

        var tensor = TensorCodec.Serialize([3, 2], values, dtype);
        var decoded = TensorCodec.Deserialize(tensor);

        Assert.Equal(values.Length * TensorDTypes.ItemSize(dtype), tensor.Buffer.Length);
        Assert.Equal(values, TensorCodec.ToSingles(decoded));
    }

    [Fact]
    public void BFloat16_IsSentInTheTwoByteForm()
    {
        var tensor = TensorCodec.Serialize([2], [1f, -2f], TensorDTypes.BFloat16Name);

        Assert.Equal("803f00c0", Convert.ToHexStringLower(tensor.Buffer.ToByteArray()));
    }

    [Fact]
    public void BFloat16_BothFormsDecodeToTheSameValues()
    {
        float[] values = [1f, -2.5f, 0.15625f, 3f];
        var efficient = TensorCodec.Serialize([4], values, TensorDTypes.BFloat16Name);
        var legacy = new Tensor { Buffer = ByteString.CopyFrom(TensorCodec.Serialize([4], values).Buffer.Span), Size = { 4u }, Dtype = "bfloat16" };

        var fromEfficient = TensorCodec.Deserialize(efficient);
        var fromLegacy = TensorCodec.Deserialize(legacy);

        Assert.Equal(16, legacy.Buffer.Length);
        Assert.Equal(fromEfficient.Data, fromLegacy.Data);
        Assert.Equal(values, TensorCodec.ToSingles(fromLegacy));
    }

    [Fact]
    public void BFloat16_EmptyTensorTakesTheTwoBytePath()
    {
        var decoded = TensorCodec.Deserialize(new Tensor { Size = { 0u, 4u }, Dtype = "bfloat16" });

        Assert.Empty(decoded.Data);
        Assert.Equal([0, 4], decoded.Shape);
    }

    [Fact]
    public void BFloat16_RoundsToNearestEven()
    {
        var tensor = TensorCodec.Serialize([2], [1.00390625f, 1.01171875f], TensorDTypes.BFloat16Name);

        Assert.Equal([1f, 1.015625f], TensorCodec.ToSingles(TensorCodec.Deserialize(tensor)));
    }

    [Fact]
    public void Float16Compression_ClampsAndKeepsTheOriginalDType()
    {
        var tensor = TensorCodec.Serialize([3], [1e6f, -1e6f, 1.5f], TensorDTypes.Float32Name, CompressionType.Float16);

        Assert.Equal("ff7bfffb003e", Convert.ToHexStringLower(tensor.Buffer.ToByteArray()));
        Assert.Equal("float32", tensor.Dtype);
        Assert.Equal(CompressionType.Float16, tensor.Compression);
        var decoded = TensorCodec.Deserialize(Tensor.Parser.ParseFrom(tensor.ToByteArray()));
        Assert.Equal("float32", decoded.DType);
        Assert.Equal(12, decoded.Data.Length);
        Assert.Equal([65504f, -65504f, 1.5f], TensorCodec.ToSingles(decoded));
    }

    [Fact]
    public void Float16Compression_OfRawFloat64Elements_DecodesToFloat64()
    {
        var data = new byte[16];
        BitConverter.TryWriteBytes(data.AsSpan(0, 8), 0.25);
        BitConverter.TryWriteBytes(data.AsSpan(8, 8), -1e10);

        var tensor = TensorCodec.Serialize([2], TensorDTypes.Float64Name, data, CompressionType.Float16);
        var decoded = TensorCodec.Deserialize(tensor);

        Assert.Equal(4, tensor.Buffer.Length);
        Assert.Equal(16, decoded.Data.Length);
        Assert.Equal([0.25f, -65504f], TensorCodec.ToSingles(decoded));
    }

    [Theory]
    [InlineData("int32")]
    [InlineData("bfloat16")]
    [InlineData("bool")]
    public void Float16Compression_RefusesOtherDTypes(string dtype)
    {
        var data = new byte[2 * TensorDTypes.ItemSize(dtype)];

        var exception = Assert.Throws<FormatException>(() => TensorCodec.Serialize([2], dtype, data, CompressionType.Float16));
        var onRead = Assert.Throws<FormatException>(() => TensorCodec.Deserialize(new Tensor { Buffer = ByteString.CopyFrom(new byte[4]), Size = { 2u }, Dtype = dtype, Compression = CompressionType.Float16 }));

        Assert.Contains(dtype, exception.Message, StringComparison.Ordinal);
        Assert.Contains(dtype, onRead.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_RefusesABufferOfTheWrongLength()
    {
        var tensor = new Tensor { Buffer = ByteString.CopyFrom(new byte[7]), Size = { 2u }, Dtype = "float32" };

        var exception = Assert.Throws<FormatException>(() => TensorCodec.Deserialize(tensor));

        Assert.Contains("holds 7", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_RefusesABFloat16BufferOfNeitherForm()
    {
        var tensor = new Tensor { Buffer = ByteString.CopyFrom(new byte[6]), Size = { 2u }, Dtype = "bfloat16" };

        Assert.Throws<FormatException>(() => TensorCodec.Deserialize(tensor));
    }

    [Theory]
    [InlineData("complex64")]
    [InlineData("")]
    [InlineData("torch.float32")]
    public void Deserialize_RefusesAnUnknownDType(string dtype)
    {
        var tensor = new Tensor { Buffer = ByteString.CopyFrom(new byte[4]), Size = { 1u }, Dtype = dtype };

        var exception = Assert.Throws<FormatException>(() => TensorCodec.Deserialize(tensor));

        Assert.Contains($"'{dtype}'", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(CompressionType.Meanstd16Bit)]
    [InlineData(CompressionType.Quantile8Bit)]
    [InlineData(CompressionType.Uniform8Bit)]
    [InlineData(CompressionType.Blockwise8Bit)]
    [InlineData((CompressionType)42)]
    public void UnsupportedCompression_IsRefusedByName(CompressionType compression)
    {
        var tensor = new Tensor { Buffer = ByteString.CopyFrom(new byte[4]), Size = { 1u }, Dtype = "float32", Compression = compression };

        var onRead = Assert.Throws<FormatException>(() => TensorCodec.Deserialize(tensor));
        var onWrite = Assert.Throws<FormatException>(() => TensorCodec.Serialize([1], TensorDTypes.Float32Name, new byte[4], compression));
        var onWriteValues = Assert.Throws<FormatException>(() => TensorCodec.Serialize([1], [1f], TensorDTypes.Float32Name, compression));

        Assert.Contains(compression.ToString(), onRead.Message, StringComparison.Ordinal);
        Assert.Contains(compression.ToString(), onWrite.Message, StringComparison.Ordinal);
        Assert.Contains(compression.ToString(), onWriteValues.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_RefusesAShapeWhoseElementCountOverflows()
    {
        var tensor = new Tensor { Size = { 2147483647u, 2147483647u, 2147483647u }, Dtype = "int8" };

        Assert.Throws<FormatException>(() => TensorCodec.Deserialize(tensor));
    }

    [Fact]
    public void Deserialize_RefusesAShapeLargerThanAnyBuffer()
    {
        var tensor = new Tensor { Buffer = ByteString.CopyFrom(new byte[8]), Size = { 1073741824u, 1073741824u }, Dtype = "float64" };

        Assert.Throws<FormatException>(() => TensorCodec.Deserialize(tensor));
    }

    [Fact]
    public void Deserialize_RefusesADimensionAboveInt32()
    {
        var tensor = new Tensor { Size = { 0u, 3000000000u }, Dtype = "int8" };

        Assert.Throws<FormatException>(() => TensorCodec.Deserialize(tensor));
    }

    [Fact]
    public void Serialize_RefusesBadInputs()
    {
        Assert.Throws<FormatException>(() => TensorCodec.Serialize([-1], TensorDTypes.Int8Name, []));
        Assert.Throws<FormatException>(() => TensorCodec.Serialize([2, 2], TensorDTypes.Int32Name, new byte[12]));
        Assert.Throws<FormatException>(() => TensorCodec.Serialize([1], "quint8", new byte[1]));
        Assert.Throws<FormatException>(() => TensorCodec.Serialize([3], [1f, 2f], TensorDTypes.Float32Name));
        Assert.Throws<FormatException>(() => TensorCodec.Serialize([1], [1f], TensorDTypes.Int32Name));
        Assert.Throws<FormatException>(() => TensorCodec.Serialize([1], [1f], TensorDTypes.BFloat16Name, CompressionType.Float16));
    }

    [Fact]
    public void ToSingles_RefusesAnIntegerTensor()
    {
        var decoded = TensorCodec.Deserialize(TensorCodec.Serialize([1], TensorDTypes.Int64Name, new byte[8]));

        var exception = Assert.Throws<FormatException>(() => TensorCodec.ToSingles(decoded));

        Assert.Contains("int64", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Split_CutsTheBufferAndPutsTheMetadataOnTheFirstPart()
    {
        var data = Enumerable.Range(0, 10).Select(i => (byte)i).ToArray();
        var tensor = TensorCodec.Serialize([5], TensorDTypes.Int16Name, data, requiresGrad: true);

        var parts = TensorCodec.Split(tensor, 4);

        Assert.Equal(3, parts.Count);
        Assert.Equal(data[..4], parts[0].Buffer.ToByteArray());
        Assert.Equal(data[4..8], parts[1].Buffer.ToByteArray());
        Assert.Equal(data[8..], parts[2].Buffer.ToByteArray());
        Assert.Equal(3, parts[0].Chunks);
        Assert.Equal([5u], parts[0].Size);
        Assert.Equal("int16", parts[0].Dtype);
        Assert.True(parts[0].RequiresGrad);
        Assert.All(parts.Skip(1), part => Assert.Equal(new Tensor { Buffer = part.Buffer }, part));
    }

    [Fact]
    public void Split_OfAnExactMultipleLeavesNoEmptyPart()
    {
        var parts = TensorCodec.Split(TensorCodec.Serialize([2], TensorDTypes.Float32Name, new byte[8]), 4);

        Assert.Equal(2, parts.Count);
        Assert.Equal(2, parts[0].Chunks);
        Assert.All(parts, part => Assert.Equal(4, part.Buffer.Length));
    }

    [Fact]
    public void Split_OfAnEmptyBufferGivesOnePartWithNoChunks()
    {
        var parts = TensorCodec.Split(TensorCodec.Serialize([0], TensorDTypes.Float32Name, []), 4);

        var part = Assert.Single(parts);
        Assert.Equal(0, part.Chunks);
        Assert.Equal("float32", part.Dtype);
        Assert.Equal("120100" + "2207" + Hex("float32"), Convert.ToHexStringLower(part.ToByteArray()));
    }

    [Fact]
    public void Combine_ReassemblesConsecutiveTensors()
    {
        var first = TensorCodec.Serialize([3, 2], [1f, 2f, 3f, 4f, 5f, 6f]);
        var empty = TensorCodec.Serialize([0], TensorDTypes.Int64Name, []);
        var second = TensorCodec.Serialize([3], TensorDTypes.UInt8Name, [7, 8, 9]);

        var tensors = TensorCodec.Combine([.. TensorCodec.Split(first, 5), .. TensorCodec.Split(empty, 5), .. TensorCodec.Split(second, 5)]);

        Assert.Equal(3, tensors.Count);
        Assert.Equal(TensorCodec.Deserialize(first), TensorCodec.Deserialize(tensors[0]), DecodedEquals);
        Assert.Equal(TensorCodec.Deserialize(empty), TensorCodec.Deserialize(tensors[1]), DecodedEquals);
        Assert.Equal(TensorCodec.Deserialize(second), TensorCodec.Deserialize(tensors[2]), DecodedEquals);
    }

    [Fact]
    public void Combine_RefusesAContinuationWithoutAFirstPart()
    {
        Assert.Throws<FormatException>(() => TensorCodec.Combine([new Tensor { Buffer = ByteString.CopyFrom(1, 2) }]));
    }

    [Fact]
    public void Combine_OfNothingIsEmpty()
    {
        Assert.Empty(TensorCodec.Combine([]));
    }

    private static bool DecodedEquals(DecodedTensor expected, DecodedTensor actual) =>
        expected.DType == actual.DType && expected.RequiresGrad == actual.RequiresGrad
        && expected.Shape.SequenceEqual(actual.Shape) && expected.Data.SequenceEqual(actual.Data);

    private static string Hex(string text) => Convert.ToHexStringLower(Encoding.ASCII.GetBytes(text));
}
