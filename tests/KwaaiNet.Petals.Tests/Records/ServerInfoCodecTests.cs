// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Petals.Records;
using static KwaaiNet.Petals.Tests.Records.RecordBytes;

namespace KwaaiNet.Petals.Tests.Records;

public sealed class ServerInfoCodecTests
{
    private static ServerInfo Announced() => new()
    {
        State = ServerState.Online,
        Throughput = 10.0,
        StartBlock = 4,
        EndBlock = 200,
        PublicName = ServerInfo.FormatPublicName("alice", "0.1.0"),
        Version = ServerInfo.WireVersion,
        NetworkRps = 2.0,
        ForwardRps = 0.5,
        InferenceRps = 300.0,
        TorchDtype = "float32",
        UsingRelay = true,
        CacheTokensLeft = 60_000,
        Adapters = [],
        NextPings = new Dictionary<string, double> { [RsaPeerId] = 0.25 },
        PeerId = PeerId,
        TrustAttestations = ["{\"type\":[\"VerifiableCredential\",\"FiduciaryPledgeVC\"]}"],
        Carbon = new ServerCarbon(true, "rapl", 1234.5, 42.0, new DateTimeOffset(2026, 3, 1, 12, 0, 0, 250, TimeSpan.Zero)),
    };

    [Fact]
    public void Decode_UpstreamKwaaiNetRecord_ReadsEveryField()
    {
        var info = ServerInfoCodec.Decode(UpstreamKwaaiNet);

        Assert.Equal(ServerState.Online, info.State);
        Assert.Equal(12.5, info.Throughput);
        Assert.Equal(0, info.StartBlock);
        Assert.Equal(3, info.EndBlock);
        Assert.Equal("alice-linux-aarch64/v0.6.2", info.PublicName);
        Assert.Equal("kwaai-0.6.2", info.Version);
        Assert.Equal("float16", info.TorchDtype);
        Assert.False(info.UsingRelay);
        Assert.Equal(100_000, info.CacheTokensLeft);
        Assert.Empty(info.Adapters!);
        Assert.Empty(info.NextPings!);
        Assert.Equal(PeerId, info.PeerId);
        Assert.Null(info.NetworkRps);
        Assert.Null(info.QuantType);
        Assert.Empty(info.TrustAttestations);
        Assert.Null(info.Carbon);
        Assert.Empty(info.UnknownFields);
    }

    [Fact]
    public void Encode_DecodedUpstreamKwaaiNetRecord_IsByteExact()
    {
        var again = ServerInfoCodec.Encode(ServerInfoCodec.Decode(UpstreamKwaaiNet));

        Assert.Equal(Convert.ToHexString(UpstreamKwaaiNet), Convert.ToHexString(again));
    }

    [Fact]
    public void Encode_UpstreamFieldsSetByHand_MatchesUpstreamBytes()
    {
        var info = new ServerInfo
        {
            State = ServerState.Online,
            Throughput = 12.5,
            StartBlock = 0,
            EndBlock = 3,
            PublicName = ServerInfo.FormatPublicName("alice-linux-aarch64", "0.6.2"),
            Version = ServerInfo.WireVersion,
            TorchDtype = "float16",
            UsingRelay = false,
            CacheTokensLeft = 100_000,
            Adapters = [],
            NextPings = new Dictionary<string, double>(),
            PeerId = PeerId,
        };

        Assert.Equal(Convert.ToHexString(UpstreamKwaaiNet), Convert.ToHexString(ServerInfoCodec.Encode(info)));
    }

    [Fact]
    public void Decode_PetalsRecord_ReadsRatesTupleAdaptersAndNilAsAbsent()
    {
        var info = ServerInfoCodec.Decode(PetalsServer);

        Assert.Equal(ServerState.Joining, info.State);
        Assert.Equal(123.5, info.Throughput);
        Assert.Equal(16, info.StartBlock);
        Assert.Equal(32, info.EndBlock);
        Assert.Null(info.PublicName);
        Assert.Equal("2.3.0.dev2", info.Version);
        Assert.Equal(1500.0, info.NetworkRps);
        Assert.Equal(4000.25, info.ForwardRps);
        Assert.Equal(300.0, info.InferenceRps);
        Assert.Empty(info.Adapters!);
        Assert.Equal("bfloat16", info.TorchDtype);
        Assert.Equal("nf4", info.QuantType);
        Assert.True(info.UsingRelay);
        Assert.Equal(524_288, info.CacheTokensLeft);
        string[] peers = [PeerId, RsaPeerId];
        Assert.Equal(peers, info.NextPings!.Keys);
        Assert.Equal(0.015, info.NextPings[PeerId]);
        Assert.Equal(double.PositiveInfinity, info.NextPings[RsaPeerId]);
        Assert.Null(info.PeerId);
        Assert.Empty(info.UnknownFields);
    }

    [Fact]
    public void Decode_PetalsAdaptersTuple_ReadsNames()
    {
        // ("lora-a", "lora-b") as Python writes it: Ext 0x40 around the array.
        var info = ServerInfoCodec.Decode(WithField(Str("adapters"), "c7 0f 40 92" + Str("lora-a") + Str("lora-b")));

        string[] expected = ["lora-a", "lora-b"];
        Assert.Equal(expected, info.Adapters!);
    }

    [Fact]
    public void Decode_TwoElementTuple_HasNoFields()
    {
        var info = ServerInfoCodec.Decode(Hex("c7 0b 40 92 02 cb4029000000000000"));

        Assert.Equal(ServerState.Online, info.State);
        Assert.Equal(12.5, info.Throughput);
        Assert.Null(info.StartBlock);
        Assert.Null(info.Adapters);
    }

    [Fact]
    public void Decode_UnknownFields_KeepsEachFieldsBytesInOrder()
    {
        var info = ServerInfoCodec.Decode(WithUnknownFields);

        string[] names = ["lease_v1", "vpk", "future"];
        Assert.Equal(names, info.UnknownFields.Keys);
        Assert.Equal("C3", Convert.ToHexString(info.UnknownFields["lease_v1"].Span));
        Assert.Equal(Convert.ToHexString(Hex(VpkMap)), Convert.ToHexString(info.UnknownFields["vpk"].Span));
        Assert.Equal(Convert.ToHexString(Hex(FutureTuple)), Convert.ToHexString(info.UnknownFields["future"].Span));
        Assert.Equal(PeerId, info.PeerId);
    }

    [Fact]
    public void Encode_DecodedRecordWithUnknownFields_IsByteExact()
    {
        var again = ServerInfoCodec.Encode(ServerInfoCodec.Decode(WithUnknownFields));

        Assert.Equal(Convert.ToHexString(WithUnknownFields), Convert.ToHexString(again));
    }

    [Fact]
    public void Encode_ChangedStateOfRecordWithUnknownFields_KeepsUnknownFieldsVerbatim()
    {
        var offline = ServerInfoCodec.Decode(WithUnknownFields) with { State = ServerState.Offline, Throughput = 0.0 };

        var again = ServerInfoCodec.Decode(ServerInfoCodec.Encode(offline));

        Assert.Equal(ServerState.Offline, again.State);
        Assert.Equal(Convert.ToHexString(Hex(VpkMap)), Convert.ToHexString(again.UnknownFields["vpk"].Span));
        Assert.Equal(Convert.ToHexString(Hex(FutureTuple)), Convert.ToHexString(again.UnknownFields["future"].Span));
    }

    [Fact]
    public void RoundTrip_EveryField_ReadsBackTheSameValues()
    {
        var info = Announced() with { QuantType = "none" };

        var back = ServerInfoCodec.Decode(ServerInfoCodec.Encode(info));

        Assert.Equal(info.State, back.State);
        Assert.Equal(info.Throughput, back.Throughput);
        Assert.Equal(info.StartBlock, back.StartBlock);
        Assert.Equal(info.EndBlock, back.EndBlock);
        Assert.Equal("alice/v0.1.0", back.PublicName);
        Assert.Equal("kwaai-0.6.2", back.Version);
        Assert.Equal(info.NetworkRps, back.NetworkRps);
        Assert.Equal(info.ForwardRps, back.ForwardRps);
        Assert.Equal(info.InferenceRps, back.InferenceRps);
        Assert.Equal(info.TorchDtype, back.TorchDtype);
        Assert.Equal("none", back.QuantType);
        Assert.Equal(info.UsingRelay, back.UsingRelay);
        Assert.Equal(info.CacheTokensLeft, back.CacheTokensLeft);
        Assert.Empty(back.Adapters!);
        Assert.Equal(info.NextPings, back.NextPings);
        Assert.Equal(info.PeerId, back.PeerId);
        Assert.Equal(info.TrustAttestations, back.TrustAttestations);
        Assert.Equal(info.Carbon, back.Carbon);
        Assert.Empty(back.UnknownFields);
    }

    [Fact]
    public void Encode_OwnRecord_KeepsTheTypesStrictPetalsReadersDemand()
    {
        // Whole-number floats stay float64 (0xcb) and ints stay ints, whatever their value.
        var bytes = ServerInfoCodec.Encode(Announced());
        var hex = Convert.ToHexString(bytes);

        Assert.StartsWith("C8", hex, StringComparison.Ordinal); // ext16: more than 255 bytes with the credential
        Assert.Equal("40", hex[6..8]); // the tuple ext type
        Assert.Equal("9302CB4024000000000000", hex[8..30]); // [2, 10.0 as float64
        Assert.Contains(Field("start_block", "04"), hex, StringComparison.Ordinal);
        Assert.Contains(Field("end_block", "CCC8"), hex, StringComparison.Ordinal); // 200: uint8
        Assert.Contains(Field("network_rps", "CB4000000000000000"), hex, StringComparison.Ordinal); // 2.0
        Assert.Contains(Field("forward_rps", "CB3FE0000000000000"), hex, StringComparison.Ordinal); // 0.5
        Assert.Contains(Field("inference_rps", "CB4072C00000000000"), hex, StringComparison.Ordinal); // 300.0
        Assert.Contains(Field("cache_tokens_left", "CDEA60"), hex, StringComparison.Ordinal); // 60000: uint16
        Assert.Contains(Field("using_relay", "C3"), hex, StringComparison.Ordinal);
        Assert.Contains(Field("adapters", "90"), hex, StringComparison.Ordinal); // an array, as upstream writes it
        Assert.Contains(Field("next_pings", "81" + Str(RsaPeerId) + "CB3FD0000000000000"), hex, StringComparison.Ordinal);
        Assert.Contains(Field("energy_joules", "CB40934A0000000000"), hex, StringComparison.Ordinal); // 1234.5
        Assert.Contains(Field("average_power_watts", "CB4045000000000000"), hex, StringComparison.Ordinal); // 42.0
    }

    [Fact]
    public void Encode_FieldOrder_IsTheDocumentedOrder()
    {
        var hex = Convert.ToHexString(ServerInfoCodec.Encode(Announced() with { QuantType = "none" }));
        string[] order =
        [
            "start_block", "end_block", "public_name", "version", "network_rps", "forward_rps", "inference_rps",
            "torch_dtype", "quant_type", "using_relay", "cache_tokens_left", "adapters", "next_pings", "peer_id",
            "trust_attestations", "aspire_carbon",
        ];

        var positions = order.Select(name => hex.IndexOf(Str(name), StringComparison.OrdinalIgnoreCase)).ToArray();

        Assert.DoesNotContain(-1, positions);
        Assert.Equal(positions.Order(), positions);
    }

    [Fact]
    public void Encode_AbsentFields_AreLeftOut()
    {
        var bytes = ServerInfoCodec.Encode(new ServerInfo { State = ServerState.Joining, Throughput = 0.0 });

        // ext8 of 12 bytes: [1, 0.0, {}]
        Assert.Equal("C70C409301CB000000000000000080", Convert.ToHexString(bytes));
    }

    [Theory]
    [InlineData("ff", ServerState.Offline)] // upstream KwaaiNet's shutdown value -1
    [InlineData("07", ServerState.Offline)] // unknown
    [InlineData("cd0102", ServerState.Offline)] // unknown, 258
    [InlineData("d0 80", ServerState.Offline)] // -128
    [InlineData("00", ServerState.Offline)]
    [InlineData("01", ServerState.Joining)]
    [InlineData("02", ServerState.Online)]
    public void Decode_State_ReadsPetalsValuesAndAnythingElseAsOffline(string stateHex, ServerState expected)
    {
        var info = ServerInfoCodec.Decode(Record("93", stateHex, "cb 0000000000000000 80"));

        Assert.Equal(expected, info.State);
    }

    [Theory]
    [InlineData("93 02 0a 80", "throughput")] // throughput int
    [InlineData("93 02 cb7ff8000000000000 80", "throughput")] // throughput NaN
    [InlineData("93 02 cbbff0000000000000 80", "throughput")] // throughput negative
    [InlineData("93 02 cb7ff0000000000000 80", "throughput")] // throughput infinite
    [InlineData("93 02 a131 80", "throughput")] // throughput str
    [InlineData("93 cb4000000000000000 cb4029000000000000 80", "state")] // state float
    [InlineData("93 a132 cb4029000000000000 80", "state")] // state str
    [InlineData("93 cfffffffffffffffff cb4029000000000000 80", "state")] // state uint64 above int64
    [InlineData("91 02", "elements")] // one element
    [InlineData("94 02 cb4029000000000000 80 c0", "elements")] // four elements
    [InlineData("93 02 cb4029000000000000 90", "fields")] // fields not a map
    [InlineData("93 02 cb4029000000000000 81 01 02", "field name")] // field name an int
    [InlineData("93 02 cb4029000000000000 81 a2c328 02", "UTF-8")] // field name invalid UTF-8
    [InlineData("93 02 cb4029000000000000 80 c0", "trailing")] // trailing bytes in the tuple
    [InlineData("93 02 cb4029000000000000 df ffffffff", "truncated")] // map count beyond the input
    [InlineData("dd ffffffff 02", "truncated")] // array count beyond the input
    public void Decode_BadTuple_ThrowsNamingTheProblem(string payloadHex, string expected)
    {
        var error = Assert.Throws<ServerInfoFormatException>(() => ServerInfoCodec.Decode(Record(payloadHex)));

        Assert.Contains(expected, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("start_block", "ff", "-1")] // negative
    [InlineData("start_block", "cb0000000000000000", "float")] // 0.0 is not an int
    [InlineData("end_block", "ce00010001", "65537")] // absurd
    [InlineData("end_block", "a133", "str")]
    [InlineData("cache_tokens_left", "d0f6", "-10")]
    [InlineData("cache_tokens_left", "cb40f86a0000000000", "float")] // 100000.0
    [InlineData("network_rps", "05", "int")] // strict Petals rejects an int rate
    [InlineData("inference_rps", "cbfff0000000000000", "finite rate")] // -inf
    [InlineData("using_relay", "01", "int")]
    [InlineData("public_name", "c4 01 41", "bin")]
    [InlineData("adapters", "91 01", "int")]
    [InlineData("adapters", "d5 50 9000", "ext type")]
    [InlineData("next_pings", "81 a170 cbbff0000000000000", "at least 0")]
    [InlineData("next_pings", "81 a170 cb7ff8000000000000", "at least 0")] // NaN
    [InlineData("next_pings", "81 a170 01", "int")]
    [InlineData("next_pings", "82 a170 cb0000000000000000 a170 cb0000000000000000", "twice")]
    [InlineData("trust_attestations", "a17b", "array")]
    [InlineData("aspire_carbon", "81 a86d65617375726564 c3", "lacks")] // only "measured"
    [InlineData("aspire_carbon", "83 a86d65617375726564 c3 a6736f75726365 a472617046 ab7265636f726465645f6174 cb7ff0000000000000", "not a time")]
    public void Decode_BadFieldValue_ThrowsNamingTheField(string field, string valueHex, string expected)
    {
        var error = Assert.Throws<ServerInfoFormatException>(() => ServerInfoCodec.Decode(WithField(Str(field), valueHex)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_EndNotAfterStart_Throws()
    {
        var bytes = Record("93 02 cb4029000000000000 82", Str("start_block"), "05", Str("end_block"), "05");

        var error = Assert.Throws<ServerInfoFormatException>(() => ServerInfoCodec.Decode(bytes));

        Assert.Contains("end_block 5 is not after start_block 5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_DuplicateField_Throws()
    {
        var bytes = Record("93 02 cb4029000000000000 82", Str("end_block"), "05", Str("end_block"), "06");

        var error = Assert.Throws<ServerInfoFormatException>(() => ServerInfoCodec.Decode(bytes));

        Assert.Contains("'end_block' appears twice", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_HugeString_Throws()
    {
        var name = new string('x', ServerInfoLimits.MaxStringBytes + 1);
        var value = $"da{name.Length:x4}{Convert.ToHexString(System.Text.Encoding.ASCII.GetBytes(name))}";

        var error = Assert.Throws<ServerInfoFormatException>(() => ServerInfoCodec.Decode(WithField(Str("public_name"), value)));

        Assert.Contains("1025 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_TooManyFields_Throws()
    {
        var fields = string.Concat(Enumerable.Range(0, ServerInfoLimits.MaxFields + 1).Select(i => Str($"k{i}") + "c0"));

        var error = Assert.Throws<ServerInfoFormatException>(() => ServerInfoCodec.Decode(Record("93 02 cb4029000000000000 de 0041", fields)));

        Assert.Contains("65 entries", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_DeeplyNestedUnknownField_Throws()
    {
        var nested = string.Concat(Enumerable.Repeat("91", 40)) + "c0";

        var error = Assert.Throws<ServerInfoFormatException>(() => ServerInfoCodec.Decode(WithField(Str("future"), nested)));

        Assert.Contains("nested deeper", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_ValueOverTheLimit_Throws()
    {
        var big = new byte[ServerInfoLimits.MaxValueBytes + 1];
        UpstreamKwaaiNet.CopyTo(big, 0);

        var error = Assert.Throws<ServerInfoFormatException>(() => ServerInfoCodec.Decode(big));

        Assert.Contains("65537 bytes", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("c0")] // nil
    [InlineData("93 02 cb4029000000000000 80")] // a bare array, not a tuple
    [InlineData("d5 50 9000")] // a dictionary value (ext 0x50)
    [InlineData("c7 eb 40 93 02")] // truncated
    public void Decode_NotATuple_Throws(string hex)
    {
        Assert.Throws<ServerInfoFormatException>(() => ServerInfoCodec.Decode(Hex(hex)));
    }

    [Fact]
    public void Decode_TrailingBytesAfterTheTuple_Throws()
    {
        var error = Assert.Throws<ServerInfoFormatException>(() => ServerInfoCodec.Decode([.. UpstreamKwaaiNet, 0xc0]));

        Assert.Contains("trailing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecode_BadValue_ReturnsFalseWithTheReason()
    {
        var ok = ServerInfoCodec.TryDecode(Record("93 02 0a 80"), out var info, out var error);

        Assert.False(ok);
        Assert.Null(info);
        Assert.Contains("throughput", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecode_UpstreamRecord_ReturnsTheInfo()
    {
        var ok = ServerInfoCodec.TryDecode(UpstreamKwaaiNet, out var info, out var error);

        Assert.True(ok);
        Assert.Null(error);
        Assert.Equal(PeerId, info!.PeerId);
    }

    [Fact]
    public void Encode_InvalidValues_Throw()
    {
        var valid = Announced();

        Assert.Throws<ArgumentException>(() => ServerInfoCodec.Encode(valid with { Throughput = double.NaN }));
        Assert.Throws<ArgumentException>(() => ServerInfoCodec.Encode(valid with { Throughput = -1 }));
        Assert.Throws<ArgumentException>(() => ServerInfoCodec.Encode(valid with { InferenceRps = double.PositiveInfinity }));
        Assert.Throws<ArgumentException>(() => ServerInfoCodec.Encode(valid with { StartBlock = 10, EndBlock = 10 }));
        Assert.Throws<ArgumentException>(() => ServerInfoCodec.Encode(valid with { StartBlock = -1 }));
        Assert.Throws<ArgumentException>(() => ServerInfoCodec.Encode(valid with { State = (ServerState)(-1) }));
        Assert.Throws<ArgumentException>(() => ServerInfoCodec.Encode(valid with { PublicName = new string('n', 2000) }));
        Assert.Throws<ArgumentException>(() => ServerInfoCodec.Encode(valid with
        {
            UnknownFields = new Dictionary<string, ReadOnlyMemory<byte>> { ["end_block"] = new byte[] { 0x05 } },
        }));
        Assert.Throws<ArgumentException>(() => ServerInfoCodec.Encode(valid with
        {
            UnknownFields = new Dictionary<string, ReadOnlyMemory<byte>> { ["future"] = new byte[] { 0x92, 0x01 } },
        }));
    }

    [Fact]
    public void FormatPublicName_JoinsNameAndProductVersion()
    {
        Assert.Equal("alice-linux-x64/v0.1.0", ServerInfo.FormatPublicName("alice-linux-x64", "0.1.0"));
    }

    private static string Field(string name, string valueHex) => (Str(name) + valueHex).ToUpperInvariant();
}
