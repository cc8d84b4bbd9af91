// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf;
using KwaaiNet.Contracts.Inference.V1;
using KwaaiNet.Inference.Hosting;

namespace KwaaiNet.Inference.Tests.Hosting;

public sealed class HiddenStatesCodecTests
{
    [Theory]
    [InlineData("float32")]
    [InlineData("float16")]
    [InlineData("bfloat16")]
    public void EncodeThenDecode_ValuesExactInEveryDtype_RoundTrip(string dtype)
    {
        float[] values = [0f, 1f, -2.5f, 0.375f, 1024f, -0.0078125f];

        var tensor = HiddenStatesCodec.Encode(values, dtype, [1, 2, 3]);
        var (decoded, tokens) = HiddenStatesCodec.Decode(tensor, hiddenSize: 3, maxTokens: 2);

        Assert.Equal(values, decoded);
        Assert.Equal(2, tokens);
        Assert.Equal<long>([1, 2, 3], tensor.Shape);
        Assert.Equal(values.Length * (dtype == "float32" ? 4 : 2), tensor.Data.Length);
    }

    [Theory]
    [InlineData(1.00390625f, 1f)] // exactly halfway between 1 and 1.0078125: ties go to the even mantissa
    [InlineData(1.01171875f, 1.015625f)] // halfway, odd below: rounds up
    [InlineData(1.0040f, 1.0078125f)] // above halfway
    public void Encode_BFloat16_RoundsToNearestEven(float value, float expected)
    {
        var tensor = HiddenStatesCodec.Encode([value], "bfloat16", [1, 1]);

        Assert.Equal(expected, HiddenStatesCodec.Decode(tensor, 1, 1).Values[0]);
    }

    [Fact]
    public void Decode_MoreTokensThanAllowed_IsRefusedBeforeReadingData()
    {
        var tensor = new Tensor { Dtype = "float32", Shape = { int.MaxValue, 64 }, Data = ByteString.CopyFrom(new byte[8]) };

        var error = Assert.Throws<ArgumentException>(() => HiddenStatesCodec.Decode(tensor, 64, 128));

        Assert.Contains("at most 128 fit", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new long[] { 64 })]
    [InlineData(new long[] { 0, 64 })]
    [InlineData(new long[] { -1, 64 })]
    [InlineData(new long[] { 2, 1, 64 })]
    [InlineData(new long[] { 1, 1, 1, 64 })]
    public void Decode_BadShapes_AreRefused(long[] shape)
    {
        var tensor = new Tensor { Dtype = "float32", Data = ByteString.CopyFrom(new byte[256]) };
        tensor.Shape.AddRange(shape);

        var error = Assert.Throws<ArgumentException>(() => HiddenStatesCodec.Decode(tensor, 64, 16));

        Assert.Contains("expected [tokens, 64]", error.Message, StringComparison.Ordinal);
    }
}
