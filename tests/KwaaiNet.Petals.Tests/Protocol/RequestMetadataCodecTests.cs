// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using System.Text;
using KwaaiNet.Petals.Protocol;

namespace KwaaiNet.Petals.Tests.Protocol;

public sealed class RequestMetadataCodecTests
{
    private const string SessionId = "0f8e3c4a-1b2c-4d5e-8f90-a1b2c3d4e5f6";
    private const string StepId = "11111111-2222-4333-8444-555555555555";
    private const string PeerId = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";

    /// <summary><c>((b"__T0", b"__T1", b"__T2"), {})</c>: an inference step's (or backward's) args_structure.</summary>
    private const string ThreeTensors = "c7 18 40 92 c7 13 40 93 c4 04 5f5f5430 c4 04 5f5f5431 c4 04 5f5f5432 80";

    /// <summary><c>((b"__T0", b"__T1"), {})</c>: forward's args_structure.</summary>
    private const string TwoTensors = "c7 12 40 92 c7 0d 40 92 c4 04 5f5f5430 c4 04 5f5f5431 80";

    /// <summary>The first-step metadata the Petals client sends with <c>max_length=128</c>: 204 bytes.</summary>
    private static readonly string FirstStep = string.Concat(
        "87",
        Str("session_id"), Str(SessionId),
        Str("step_id"), Str(StepId),
        Str("max_length"), "cc 80",
        Str("points"), "cb 0000000000000000",
        Str("active_adapter"), "c0",
        Str("args_structure"), ThreeTensors,
        Str("start_from_position"), "00");

    [Fact]
    public void EncodeArgsStructure_ThreeTensors_MatchesPetalsBytes()
    {
        Assert.Equal(Hex(ThreeTensors), RequestMetadataCodec.EncodeArgsStructure([0, 1, 2]));
    }

    [Fact]
    public void EncodeArgsStructure_TwoTensors_MatchesPetalsBytes()
    {
        Assert.Equal(Hex(TwoTensors), RequestMetadataCodec.EncodeArgsStructure([0, 1]));
    }

    [Fact]
    public void Encode_FirstStep_MatchesThePetalsClientByteForByte()
    {
        var bytes = RequestMetadataCodec.Encode(new InferenceMetadata
        {
            SessionId = SessionId,
            StepId = StepId,
            MaxLength = 128,
            Points = 0.0,
            ActiveAdapter = null,
            ArgsStructure = [0, 1, 2],
            StartFromPosition = 0,
        });

        Assert.Equal(204, bytes.Length);
        Assert.Equal(Hex(FirstStep), bytes);
    }

    [Fact]
    public void DecodeInference_FirstStep_ReadsEveryField()
    {
        var metadata = RequestMetadataCodec.DecodeInference(Hex(FirstStep));

        Assert.Equal(SessionId, metadata.SessionId);
        Assert.Equal(StepId, metadata.StepId);
        Assert.Equal(128, metadata.MaxLength);
        Assert.Equal(0.0, metadata.Points);
        Assert.Null(metadata.ActiveAdapter);
        Assert.Equal([0, 1, 2], metadata.ArgsStructure);
        Assert.Equal(0, metadata.StartFromPosition);
        Assert.Empty(metadata.NextServers);
        Assert.Null(metadata.AllocTimeout);
        Assert.Null(metadata.Pushed);
    }

    [Fact]
    public void Encode_TraceParent_IsWrittenLastAndRoundTrips()
    {
        const string Trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        var metadata = new InferenceMetadata
        {
            SessionId = SessionId,
            StepId = StepId,
            StartFromPosition = 3,
            ArgsStructure = [0, 1, 2],
            TraceParent = Trace,
        };
        var expected = string.Concat(
            "85",
            Str("session_id"), Str(SessionId),
            Str("step_id"), Str(StepId),
            Str("start_from_position"), "03",
            Str("args_structure"), ThreeTensors,
            Str("traceparent"), Str(Trace));

        var bytes = RequestMetadataCodec.Encode(metadata);

        Assert.Equal(Hex(expected), bytes);
        Assert.Equal(Trace, RequestMetadataCodec.DecodeInference(bytes).TraceParent);
    }

    [Fact]
    public void DecodeInference_TraceParentNotAString_IsAFormatExceptionNamingIt()
    {
        var error = Assert.ThrowsAny<FormatException>(() => RequestMetadataCodec.DecodeInference(Hex(string.Concat("81", Str("traceparent"), "05"))));

        Assert.Contains("traceparent", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_LaterStep_UsesTheClientsLaterStepOrderAndRoundTrips()
    {
        var metadata = new InferenceMetadata
        {
            SessionId = SessionId,
            StepId = StepId,
            StartFromPosition = 17,
            ArgsStructure = [0, 1, 2],
        };
        var expected = string.Concat(
            "84",
            Str("session_id"), Str(SessionId),
            Str("step_id"), Str(StepId),
            Str("start_from_position"), "11",
            Str("args_structure"), ThreeTensors);

        var bytes = RequestMetadataCodec.Encode(metadata);
        var decoded = RequestMetadataCodec.DecodeInference(bytes);

        Assert.Equal(Hex(expected), bytes);
        Assert.Equal(SessionId, decoded.SessionId);
        Assert.Equal(StepId, decoded.StepId);
        Assert.Equal(17, decoded.StartFromPosition);
        Assert.Equal([0, 1, 2], decoded.ArgsStructure);
        Assert.Null(decoded.MaxLength);
        Assert.Null(decoded.Points);
    }

    [Fact]
    public void Encode_PushedStepWithNextServers_RoundTrips()
    {
        var metadata = new InferenceMetadata
        {
            SessionId = SessionId,
            StepId = StepId,
            StartFromPosition = 3,
            ArgsStructure = [0, 1, 2],
            NextServers = [new NextServer(PeerId, StepId, 16, 32), new NextServer("QmPeer", "s2", 32, 40)],
            AllocTimeout = 2.5,
            Pushed = true,
        };

        var decoded = RequestMetadataCodec.DecodeInference(RequestMetadataCodec.Encode(metadata));

        Assert.Equal(metadata.NextServers, decoded.NextServers);
        Assert.Equal(2.5, decoded.AllocTimeout);
        Assert.True(decoded.Pushed);
        Assert.Equal(3, decoded.StartFromPosition);
    }

    [Fact]
    public void DecodeInference_NextServerTuple_ReadsPeerSessionAndSpan()
    {
        var hex = string.Concat(
            "81", Str("next_servers"),
            "91", "c7 0b 40 94", Str("QmA"), Str("s-1"), "04", "08");

        var metadata = RequestMetadataCodec.DecodeInference(Hex(hex));

        Assert.Equal([new NextServer("QmA", "s-1", 4, 8)], metadata.NextServers);
    }

    [Fact]
    public void Encode_Forward_MatchesTheClientsDictionary()
    {
        var expected = string.Concat(
            "83",
            Str("points"), "cb 0000000000000000",
            Str("active_adapter"), "c0",
            Str("args_structure"), TwoTensors);

        var bytes = RequestMetadataCodec.Encode(new ForwardMetadata { Points = 0.0, ArgsStructure = [0, 1] });
        var decoded = RequestMetadataCodec.DecodeForward(bytes);

        Assert.Equal(Hex(expected), bytes);
        Assert.Equal(0.0, decoded.Points);
        Assert.Null(decoded.ActiveAdapter);
        Assert.Equal([0, 1], decoded.ArgsStructure);
        Assert.Null(decoded.OutputCompression);
    }

    [Fact]
    public void Forward_WithAdapterAndOutputCompression_RoundTrips()
    {
        var metadata = new ForwardMetadata { Points = 1.5, ActiveAdapter = "lora-a", ArgsStructure = [1, 0], OutputCompression = [2] };

        var decoded = RequestMetadataCodec.DecodeForward(RequestMetadataCodec.Encode(metadata));

        Assert.Equal(1.5, decoded.Points);
        Assert.Equal("lora-a", decoded.ActiveAdapter);
        Assert.Equal([1, 0], decoded.ArgsStructure);
        Assert.Equal([2], decoded.OutputCompression);
    }

    [Fact]
    public void DecodeForward_OutputCompressionAsTupleAndIntPoints_AreRead()
    {
        var hex = string.Concat("82", Str("points"), "05", Str("output_compression"), "d5 40 91 01");

        var metadata = RequestMetadataCodec.DecodeForward(Hex(hex));

        Assert.Equal(5.0, metadata.Points);
        Assert.Equal([1], metadata.OutputCompression);
        Assert.Null(metadata.ArgsStructure);
    }

    [Fact]
    public void DecodeInference_WithoutArgsStructure_LeavesItNull()
    {
        var hex = string.Concat("82", Str("session_id"), Str("s"), Str("max_length"), "0a");

        var metadata = RequestMetadataCodec.DecodeInference(Hex(hex));

        Assert.Null(metadata.ArgsStructure);
        Assert.Equal(10, metadata.MaxLength);
    }

    [Fact]
    public void DecodeInference_UnknownKeys_AreIgnored()
    {
        var hex = string.Concat(
            "83", Str("future_key"), "92 01 81 a1 61 c0", Str("step_id"), Str("x"), Str("output_compression"), "91 01");

        var metadata = RequestMetadataCodec.DecodeInference(Hex(hex));

        Assert.Equal("x", metadata.StepId);
    }

    [Theory]
    [InlineData("session_id", "01")]
    [InlineData("step_id", "c4 01 41")]
    [InlineData("max_length", "cb 4060000000000000")]
    [InlineData("max_length", "ff")]
    [InlineData("max_length", "ce 7fffffff")]
    [InlineData("points", "a1 30")]
    [InlineData("points", "cb 7ff8000000000000")]
    [InlineData("active_adapter", "c2")]
    [InlineData("args_structure", "a4 5f5f5430")]
    [InlineData("args_structure", "92 91 c4 04 5f5f5430 80")]
    [InlineData("start_from_position", "ff")]
    [InlineData("start_from_position", "c0")]
    [InlineData("next_servers", "c0")]
    [InlineData("next_servers", "91 93 a1 41 a1 42 01")]
    [InlineData("alloc_timeout", "c3")]
    [InlineData("pushed", "01")]
    public void DecodeInference_WrongType_ThrowsNamingTheKey(string key, string valueHex)
    {
        var error = Assert.ThrowsAny<FormatException>(() => RequestMetadataCodec.DecodeInference(Hex("81" + Str(key) + valueHex)));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("points", "c3")]
    [InlineData("active_adapter", "01")]
    [InlineData("args_structure", "c0")]
    [InlineData("output_compression", "01")]
    [InlineData("output_compression", "91 cd 0100")]
    public void DecodeForward_WrongType_ThrowsNamingTheKey(string key, string valueHex)
    {
        var error = Assert.ThrowsAny<FormatException>(() => RequestMetadataCodec.DecodeForward(Hex("81" + Str(key) + valueHex)));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("c4 04 5f5f5831")] // b"__X1"
    [InlineData("c4 03 5f5f54")] // b"__T", no index
    [InlineData("c4 05 5f5f543031")] // b"__T01", a leading zero
    [InlineData("c4 05 5f5f54312d")] // b"__T1-"
    [InlineData("c4 05 5f5f543634")] // b"__T64", over the bound
    [InlineData("a4 5f5f5430")] // a str, not bin
    [InlineData("01")] // a non-tensor argument
    public void DecodeInference_BadTensorMarker_ThrowsNamingArgsStructure(string markerHex)
    {
        var marker = Hex(markerHex);
        var args = Concat([0x91], marker);
        var argsTuple = Concat([0xc7, (byte)args.Length, 0x40], args);
        var pair = Concat([0x92], argsTuple, [0x80]);
        var value = Concat([0xc7, (byte)pair.Length, 0x40], pair);
        var data = Concat(Hex("81" + Str("args_structure")), value);

        var error = Assert.ThrowsAny<FormatException>(() => RequestMetadataCodec.DecodeInference(data));

        Assert.Contains("args_structure", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeInference_KeywordArguments_Throw()
    {
        // ((b"__T0",), {"x": 1})
        var hex = string.Concat("81", Str("args_structure"), "c7 0e 40 92 c7 07 40 91 c4 04 5f5f5430 81 a1 78 01");

        var error = Assert.ThrowsAny<FormatException>(() => RequestMetadataCodec.DecodeInference(Hex(hex)));

        Assert.Contains("args_structure", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeInference_Truncated_ThrowsNamingTheKey()
    {
        var bytes = Hex(FirstStep);

        var error = Assert.ThrowsAny<FormatException>(() => RequestMetadataCodec.DecodeInference(bytes.AsSpan(0, bytes.Length - 25)));

        Assert.Contains("args_structure", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeInference_EveryTruncation_Throws()
    {
        var bytes = Hex(FirstStep);

        for (var length = 0; length < bytes.Length; length++)
        {
            var prefix = bytes[..length];
            Assert.ThrowsAny<FormatException>(() => RequestMetadataCodec.DecodeInference(prefix));
        }
    }

    [Theory]
    [InlineData("92 01 02")]
    [InlineData("c0")]
    [InlineData("a3 616263")]
    public void DecodeInference_NotAMap_Throws(string hex)
    {
        var error = Assert.ThrowsAny<FormatException>(() => RequestMetadataCodec.DecodeInference(Hex(hex)));

        Assert.Contains("metadata", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeInference_TrailingBytes_Throw()
    {
        Assert.ThrowsAny<FormatException>(() => RequestMetadataCodec.DecodeInference(Hex(FirstStep + "00")));
    }

    [Fact]
    public void DecodeInference_DuplicateKey_ThrowsNamingIt()
    {
        var hex = string.Concat("82", Str("step_id"), Str("a"), Str("step_id"), Str("b"));

        var error = Assert.ThrowsAny<FormatException>(() => RequestMetadataCodec.DecodeInference(Hex(hex)));

        Assert.Contains("step_id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeInference_Oversize_Throws()
    {
        var data = new byte[RequestMetadataCodec.MaxBytes + 1];
        data[0] = 0x80;

        Assert.ThrowsAny<FormatException>(() => RequestMetadataCodec.DecodeInference(data));
    }

    [Fact]
    public void DecodeInference_TooManyKeys_Throws()
    {
        var hex = new StringBuilder("de 0041");
        for (var i = 0; i < 65; i++)
        {
            hex.Append(Str($"k{i}")).Append("00");
        }

        Assert.ThrowsAny<FormatException>(() => RequestMetadataCodec.DecodeInference(Hex(hex.ToString())));
    }

    [Fact]
    public void DecodeInference_OverlongString_ThrowsNamingTheKey()
    {
        var value = new string('a', RequestMetadataCodec.MaxStringBytes + 1);
        var hex = string.Concat("81", Str("session_id"), Str(value));

        var error = Assert.ThrowsAny<FormatException>(() => RequestMetadataCodec.DecodeInference(Hex(hex)));

        Assert.Contains("session_id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_NextServerWithEmptySpan_IsRefused()
    {
        var metadata = new InferenceMetadata { NextServers = [new NextServer(PeerId, "s", 8, 8)] };

        Assert.Throws<ArgumentException>(() => RequestMetadataCodec.Encode(metadata));
    }

    private static string Str(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var header = bytes.Length switch
        {
            < 32 => (0xa0 | bytes.Length).ToString("x2", CultureInfo.InvariantCulture),
            < 256 => "d9" + bytes.Length.ToString("x2", CultureInfo.InvariantCulture),
            _ => "da" + bytes.Length.ToString("x4", CultureInfo.InvariantCulture),
        };
        return header + Convert.ToHexString(bytes);
    }

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
