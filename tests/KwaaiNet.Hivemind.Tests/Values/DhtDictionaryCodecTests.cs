// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Values;
using static KwaaiNet.Hivemind.Tests.Values.HexVector;

namespace KwaaiNet.Hivemind.Tests.Values;

public sealed class DhtDictionaryCodecTests
{
    private const string PeerId = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";

    // msgpack str of PeerId: 52 bytes is past fixstr's 31, so str8: d9, length 0x34, then the ASCII bytes.
    private const string PeerSubkeyHex =
        "d934 313244334b6f6f5744704a3741733742574177524d6675315655325743714e6a76713338374a45594b44426a346b78366e58544e";

    private const string Inf = "cb 7ff0000000000000"; // float64 +inf: exponent all ones, fraction 0
    private const string MinusInf = "cb fff0000000000000"; // float64 -inf: sign bit set
    private const string T1 = "cb 41d8000000000000"; // 1610612736.0 = 1.5 * 2^30: exponent 1023+30 = 0x41d, fraction .1b = 8
    private const string T2 = "cb 41dc000000000000"; // 1879048192.0 = 1.75 * 2^30: fraction .11b = c
    private const double Time1 = 1610612736.0;
    private const double Time2 = 1879048192.0;

    private static readonly byte[] SampleValue = [0x01, 0x02, 0x03];

    // The one-entry item: [PeerId, b"\x01\x02\x03", Time2] = 93 (fixarray 3), the str subkey inline, c4 03 (bin8 of 3), T2.
    private const string OneItemHex = "93 " + PeerSubkeyHex + " c403010203 " + T2;

    [Fact]
    public void Encode_Empty_MatchesPythonBytes()
    {
        var bytes = DhtDictionaryCodec.Encode([], Time1);

        // payload: 93 (fixarray 3), maxsize inf (9 bytes), latest (9 bytes), 90 (no items) = 20 = 0x14 bytes;
        // 20 is no fixext length, so ext8: c7 14, then the type 50.
        Assert.Equal(Hex(Bytes("c7 14 50", "93", Inf, T1, "90")), Hex(bytes));
    }

    [Fact]
    public void Encode_OneEntry_MatchesPythonBytes()
    {
        var entry = new DhtDictionaryEntry(DhtMsgPack.Str(PeerId), SampleValue, Time2);

        var bytes = DhtDictionaryCodec.Encode([entry], Time2);

        // item: 1 + 54 + 5 + 9 = 69 bytes; items: 91 + item = 70; payload: 1 + 9 + 9 + 70 = 89 = 0x59.
        Assert.Equal(Hex(Bytes("c7 59 50", "93", Inf, T2, "91", OneItemHex)), Hex(bytes));
    }

    [Fact]
    public void Encode_SubkeyIsNeverWrappedInBin()
    {
        var bytes = DhtDictionaryCodec.Encode([new DhtDictionaryEntry(DhtMsgPack.Str("a"), SampleValue, Time2)], Time2);

        // The subkey a1 61 sits right after the item header 93; a bin wrapper would put c4 02 there.
        var item = Hex(bytes).IndexOf("93a161c403010203", StringComparison.Ordinal);
        Assert.True(item > 0, Hex(bytes));
    }

    [Fact]
    public void Encode_WholeMaxSize_WritesInt()
    {
        // maxsize 5 is a positive fixint; payload 93 05 T1 90 = 12 bytes: ext8 c7 0c.
        Assert.Equal(Hex(Bytes("c7 0c 50", "93 05", T1, "90")), Hex(DhtDictionaryCodec.Encode([], Time1, 5)));
        Assert.Equal(Hex(DhtDictionaryCodec.Encode([], Time1)), Hex(DhtDictionaryCodec.Encode([], Time1, double.PositiveInfinity)));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    [InlineData(double.NegativeInfinity)]
    public void Encode_BadMaxSize_Throws(double maxSize)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DhtDictionaryCodec.Encode([], Time1, maxSize));
    }

    [Theory]
    [InlineData("")] // no object
    [InlineData("c0")] // nil is the regular-value tag, never a subkey
    [InlineData("a161 00")] // two objects
    [InlineData("a3 61")] // truncated
    public void Encode_BadSubkey_Throws(string subkeyHex)
    {
        var entry = new DhtDictionaryEntry(Bytes(subkeyHex), SampleValue, Time2);
        Assert.Throws<ArgumentException>(() => DhtDictionaryCodec.Encode([entry], Time2));
    }

    [Fact]
    public void Decode_PythonBytes_ReadsEntries()
    {
        var decoded = DhtDictionaryCodec.Decode(Bytes("c7 59 50", "93", Inf, T2, "91", OneItemHex), DhtValueLimits.Default);

        Assert.Equal(double.PositiveInfinity, decoded.MaxSize);
        Assert.Equal(Time2, decoded.LatestExpirationTime);
        var entry = Assert.Single(decoded.Entries);
        Assert.Equal(PeerId, DhtMsgPack.TryReadStr(entry.Subkey.Span));
        Assert.Equal(SampleValue, entry.Value.ToArray());
        Assert.Equal(Time2, entry.ExpirationTime);
    }

    [Fact]
    public void Decode_KwaaiNetNilMaxSize_IsInfinity()
    {
        // KwaaiNet writes maxsize as nil: payload 1 + 1 + 9 + 70 = 81 = 0x51 bytes.
        var decoded = DhtDictionaryCodec.Decode(Bytes("c7 51 50", "93 c0", T2, "91", OneItemHex), DhtValueLimits.Default);

        Assert.Equal(double.PositiveInfinity, decoded.MaxSize);
        Assert.Equal(PeerId, DhtMsgPack.TryReadStr(Assert.Single(decoded.Entries).Subkey.Span));
    }

    [Fact]
    public void Decode_PythonEmptyDictionary_HasNegativeInfinityLatest()
    {
        var decoded = DhtDictionaryCodec.Decode(Ext50("93", Inf, MinusInf, "90"), DhtValueLimits.Default);

        Assert.Empty(decoded.Entries);
        Assert.Equal(double.NegativeInfinity, decoded.LatestExpirationTime);
    }

    [Theory]
    [InlineData("00", double.PositiveInfinity)] // Python: `maxsize or float("inf")`
    [InlineData("07", 7.0)]
    [InlineData("cd 1000", 4096.0)]
    [InlineData("cb 4014000000000000", 5.0)] // float 5.0
    public void Decode_MaxSize_ReadAsPythonDoes(string maxSizeHex, double expected)
    {
        Assert.Equal(expected, DhtDictionaryCodec.Decode(Ext50("93", maxSizeHex, "01 90"), DhtValueLimits.Default).MaxSize);
    }

    [Fact]
    public void Decode_IntAndFloat32Numbers_Accepted()
    {
        // latest as uint32 ce 70000000 = 1879048192; expiration as float32 ca 4ee00000 = 1.75 * 2^30
        // (sign 0, exponent 127+30 = 0x9d = 10011101b, fraction 11b: 0 10011101 1100... = 4ee00000).
        var decoded = DhtDictionaryCodec.Decode(Ext50("93 c0 ce70000000 91 93 a161 c40100 ca4ee00000"), DhtValueLimits.Default);

        Assert.Equal(Time2, decoded.LatestExpirationTime);
        Assert.Equal(Time2, Assert.Single(decoded.Entries).ExpirationTime);
    }

    [Fact]
    public void RoundTrip_VariedSubkeys_Preserved()
    {
        DhtDictionaryEntry[] entries =
        [
            new(DhtMsgPack.Str(PeerId), SampleValue, Time1),
            new(Bytes("2a"), Bytes("c0"), Time2), // int subkey 42
            new(Bytes("c4 02 c1c1"), ReadOnlyMemory<byte>.Empty, Time1), // bin subkey whose content is no msgpack
            new(DhtMsgPack.Write(static w => w.WriteTuple(2, static t =>
            {
                t.Write("x");
                t.WriteNil();
            })), new byte[300], Time2), // tuple ("x", None); a 300-byte value needs bin16
        ];

        var bytes = DhtDictionaryCodec.Encode(entries, Time2);
        var decoded = DhtDictionaryCodec.Decode(bytes, DhtValueLimits.Default);

        Assert.Equal(Time2, decoded.LatestExpirationTime);
        Assert.Equal(entries.Length, decoded.Entries.Count);
        for (var i = 0; i < entries.Length; i++)
        {
            Assert.Equal(Hex(entries[i].Subkey.Span), Hex(decoded.Entries[i].Subkey.Span));
            Assert.Equal(Hex(entries[i].Value.Span), Hex(decoded.Entries[i].Value.Span));
            Assert.Equal(entries[i].ExpirationTime, decoded.Entries[i].ExpirationTime);
        }

        Assert.Equal(Hex(bytes), Hex(DhtDictionaryCodec.Encode([.. decoded.Entries], decoded.LatestExpirationTime, decoded.MaxSize)));
    }

    [Fact]
    public void Decode_BinContainingMsgPackStr_NormalisedToStr()
    {
        // c4 36 (bin8 of 54 bytes) holding the msgpack str of the peer id, as KwaaiNet once wrote subkeys.
        var decoded = DhtDictionaryCodec.Decode(Ext50("93 c0", T2, "91 93 c436 " + PeerSubkeyHex + " c40100", T2), DhtValueLimits.Default);

        Assert.Equal(Hex(Bytes(PeerSubkeyHex)), Hex(Assert.Single(decoded.Entries).Subkey.Span));
    }

    [Theory]
    [InlineData("c4 02 c1c1")] // not msgpack at all
    [InlineData("c4 01 2a")] // msgpack, but an int, not a str
    [InlineData("c4 03 a16100")] // a str followed by a trailing byte
    [InlineData("c4 03 a2fffe")] // a str that is not UTF-8
    [InlineData("c4 00")] // empty
    public void Decode_BinNotHoldingExactlyOneStr_KeptAsBin(string subkeyHex)
    {
        var decoded = DhtDictionaryCodec.Decode(Ext50("93 c0 01 91 93", subkeyHex, "c40100 01"), DhtValueLimits.Default);

        Assert.Equal(Hex(Bytes(subkeyHex)), Hex(Assert.Single(decoded.Entries).Subkey.Span));
    }

    [Fact]
    public void Decode_DuplicateSubkeys_LaterExpirationWinsInFirstPlace()
    {
        // items: a (value 01, exp 5), b (value 02, exp 5), a (value 03, exp 9), b (value 04, exp 5: not later, ignored),
        // and a bin-wrapped "a" (c4 02 a161, value 05, exp 7: same subkey after normalising, earlier than 9, ignored).
        var decoded = DhtDictionaryCodec.Decode(
            Ext50("93 c0 09 95", "93 a161 c40101 05", "93 a162 c40102 05", "93 a161 c40103 09", "93 a162 c40104 05", "93 c402a161 c40105 07"),
            DhtValueLimits.Default);

        Assert.Equal(2, decoded.Entries.Count);
        Assert.Equal("a161", Hex(decoded.Entries[0].Subkey.Span));
        Assert.Equal("03", Hex(decoded.Entries[0].Value.Span));
        Assert.Equal(9.0, decoded.Entries[0].ExpirationTime);
        Assert.Equal("a162", Hex(decoded.Entries[1].Subkey.Span));
        Assert.Equal("02", Hex(decoded.Entries[1].Value.Span));
    }

    [Theory]
    [InlineData("c0", "dictionary payload is nil, expected array")]
    [InlineData("92 c0 01", "dictionary payload has 2 elements, expected 3")]
    [InlineData("94 c0 01 90 00", "dictionary payload has 4 elements, expected 3")]
    [InlineData("93 a161 01 90", "dictionary maxsize is str, expected float or int")]
    [InlineData("93 ff 01 90", "dictionary maxsize is -1")]
    [InlineData("93 cb7ff8000000000000 01 90", "dictionary maxsize is NaN")]
    [InlineData("93 c0 c0 90", "dictionary latest expiration time is nil, expected float or int")]
    [InlineData("93 c0 cb7ff8000000000000 90", "dictionary latest expiration time is NaN")]
    [InlineData("93 c0 01 80", "dictionary items is map, expected array")]
    [InlineData("93 c0 01 91 92 a161 c40100", "dictionary item 0 has 2 elements, expected 3")]
    [InlineData("93 c0 01 92 93a161c4010001 c0", "dictionary item 1 is nil, expected array")]
    [InlineData("93 c0 01 94 93a161c4010001 93a162c4010001 93a163c4010001 93a164a10001", "dictionary item 3: value is str, expected bin")]
    [InlineData("93 c0 01 91 93 c0 c40100 01", "dictionary item 0: subkey is nil")]
    [InlineData("93 c0 01 91 93 9100 c40100 01", "dictionary item 0: subkey is an array")]
    [InlineData("93 c0 01 91 93 81a16100 c40100 01", "dictionary item 0: subkey is a map")]
    [InlineData("93 c0 01 91 93 d55090 00 c40100 01", "dictionary item 0: subkey is a dictionary value")]
    [InlineData("93 c0 01 91 93 a2fffe c40100 01", "dictionary item 0: subkey is a str that is not valid UTF-8")]
    [InlineData("93 c0 01 91 93 c1 c40100 01", "not a msgpack format")]
    [InlineData("93 c0 01 91 93 a161 c40100 a0", "dictionary item 0: expiration is str, expected float or int")]
    [InlineData("93 c0 01 91 93 a161 c40100 cb7ff8000000000000", "dictionary item 0: expiration is NaN")]
    [InlineData("93 c0 01 91 93 a161 c40100", "dictionary item 0: expiration: truncated")]
    [InlineData("93 c0 01 90 00", "dictionary payload: trailing bytes")]
    [InlineData("93 c0 01 dd ffffffff", "truncated")] // four billion items claimed in a few bytes
    [InlineData("93 c0 01 91 93 a161 c6ffffffff", "truncated")] // a 4 GiB value claimed
    public void Decode_MalformedPayload_ThrowsWithReason(string payloadHex, string reason)
    {
        var data = Ext50(payloadHex);
        var error = Assert.Throws<DhtValueFormatException>(() => DhtDictionaryCodec.Decode(data, DhtValueLimits.Default));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "truncated")]
    [InlineData("90", "dictionary value is array, expected ext")]
    [InlineData("c0", "dictionary value is nil, expected ext")]
    [InlineData("d4 40 90", "ext type 0x40, expected 0x50")] // an empty tuple
    [InlineData("d4 ff 90", "ext type 0xff, expected 0x50")]
    [InlineData("c7 ff 50 93", "truncated")] // ext claims 255 bytes
    [InlineData("c9 ffffffff 50", "truncated")] // ext32 claims 4 GiB
    public void Decode_NotADictionaryExt_ThrowsWithReason(string hex, string reason)
    {
        var data = Bytes(hex);
        var error = Assert.Throws<DhtValueFormatException>(() => DhtDictionaryCodec.Decode(data, DhtValueLimits.Default));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_TrailingBytes_Throws()
    {
        var data = Bytes("c7 14 50", "93", Inf, T1, "90", "00");
        var error = Assert.Throws<DhtValueFormatException>(() => DhtDictionaryCodec.Decode(data, DhtValueLimits.Default));
        Assert.Contains("trailing bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_EveryTruncation_Throws()
    {
        var data = Bytes("c7 59 50", "93", Inf, T2, "91", OneItemHex);
        for (var length = 0; length < data.Length; length++)
        {
            var prefix = data[..length];
            Assert.Throws<DhtValueFormatException>(() => DhtDictionaryCodec.Decode(prefix, DhtValueLimits.Default));
        }
    }

    [Fact]
    public void Decode_TooManyEntries_Throws()
    {
        var data = Ext50("93 c0 01 93", "93a161c4010001", "93a162c4010001", "93a163c4010001");

        Assert.Equal(3, DhtDictionaryCodec.Decode(data, new DhtValueLimits(MaxEntries: 3)).Entries.Count);
        var error = Assert.Throws<DhtValueFormatException>(() => DhtDictionaryCodec.Decode(data, new DhtValueLimits(MaxEntries: 2)));
        Assert.Contains("more than 2 entries", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_OversizeSubkey_Throws()
    {
        var data = Bytes("c7 59 50", "93", Inf, T2, "91", OneItemHex);

        Assert.Single(DhtDictionaryCodec.Decode(data, new DhtValueLimits(MaxSubkeyBytes: 54)).Entries);
        var error = Assert.Throws<DhtValueFormatException>(() => DhtDictionaryCodec.Decode(data, new DhtValueLimits(MaxSubkeyBytes: 53)));
        Assert.Contains("dictionary item 0: subkey is 54 bytes, more than 53", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_OversizeValue_Throws()
    {
        var data = Bytes("c7 59 50", "93", Inf, T2, "91", OneItemHex);

        Assert.Single(DhtDictionaryCodec.Decode(data, new DhtValueLimits(MaxValueBytes: 3)).Entries);
        var error = Assert.Throws<DhtValueFormatException>(() => DhtDictionaryCodec.Decode(data, new DhtValueLimits(MaxValueBytes: 2)));
        Assert.Contains("dictionary item 0: value is 3 bytes, more than 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_DeeplyNestedSubkey_Throws()
    {
        // A subkey of nested one-element tuples ((((...),),),): the innermost empty tuple sits at depth `depth`.
        static byte[] Dictionary(int depth) => DhtDictionaryCodec.Encode([new(NestedTuple(depth), SampleValue, Time2)], Time2);

        Assert.Single(DhtDictionaryCodec.Decode(Dictionary(16), new DhtValueLimits(MaxSubkeyBytes: 1024)).Entries);
        var error = Assert.Throws<DhtValueFormatException>(() => DhtDictionaryCodec.Decode(Dictionary(17), new DhtValueLimits(MaxSubkeyBytes: 1024)));
        Assert.Contains("nested deeper than 16 levels", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_BadLimits_Throws()
    {
        var data = Ext50("93 c0 01 90");
        Assert.Throws<ArgumentOutOfRangeException>(() => DhtDictionaryCodec.Decode(data, new DhtValueLimits(MaxEntries: 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => DhtDictionaryCodec.Decode(data, DhtValueLimits.Default with { MaxDepth = -1 }));
    }

    private static byte[] NestedTuple(int depth) =>
        depth == 1
            ? DhtMsgPack.Write(static w => w.WriteTuple(0, static _ => { }))
            : DhtMsgPack.Write(w => w.WriteTuple(1, t => t.WriteEncoded(NestedTuple(depth - 1))));

    private static byte[] Ext50(params string[] payloadParts)
    {
        var payload = Bytes(payloadParts);
        return DhtMsgPack.Write(w => w.WriteExt(0x50, payload));
    }
}
