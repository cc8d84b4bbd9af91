// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Values;
using static KwaaiNet.Hivemind.Tests.Values.HexVector;

namespace KwaaiNet.Hivemind.Tests.Values;

public sealed class DhtMsgPackTests
{
    private const string PeerId = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";

    [Fact]
    public void Tags_AreHivemindsConstants()
    {
        // IS_REGULAR_VALUE = dumps(None) = c0; IS_DICTIONARY = b"".
        Assert.Equal("c0", Hex(DhtMsgPack.RegularValueTag.Span));
        Assert.True(DhtMsgPack.DictionaryTag.IsEmpty);
    }

    [Fact]
    public void Str_PeerId_IsStr8()
    {
        // 52 ASCII bytes: too long for fixstr (< 32), so str8 d9 34 then the bytes.
        Assert.Equal(
            "d934313244334b6f6f5744704a3741733742574177524d6675315655325743714e6a76713338374a45594b44426a346b78366e58544e",
            Hex(DhtMsgPack.Str(PeerId)));
    }

    [Fact]
    public void Key_PetalsModels_IsFixstr()
    {
        // "_petals.models" is 14 bytes: fixstr a0|0e = ae.
        Assert.Equal("ae5f706574616c732e6d6f64656c73", Hex(DhtMsgPack.Key("_petals.models")));
    }

    [Fact]
    public void TryReadStr_RoundTripsStr()
    {
        Assert.Equal(PeerId, DhtMsgPack.TryReadStr(DhtMsgPack.Str(PeerId)));
        Assert.Equal(string.Empty, DhtMsgPack.TryReadStr(Bytes("a0")));
        Assert.Equal("\u00e9", DhtMsgPack.TryReadStr(Bytes("a2c3a9")));
        Assert.Equal("ab", DhtMsgPack.TryReadStr(Bytes("da 0002 6162"))); // str16, a non-smallest form Python also reads
    }

    [Theory]
    [InlineData("")] // nothing
    [InlineData("c403616263")] // bin, not str
    [InlineData("a3616263 00")] // trailing byte
    [InlineData("a3 6162")] // truncated
    [InlineData("d9")] // truncated header
    [InlineData("a2 fffe")] // not UTF-8
    [InlineData("c0")] // nil
    public void TryReadStr_NotOneStr_ReturnsNull(string hex)
    {
        Assert.Null(DhtMsgPack.TryReadStr(Bytes(hex)));
    }

    [Theory]
    [InlineData("c0")] // nil
    [InlineData("00")] // int
    [InlineData("cb3ff0000000000000")] // float64
    [InlineData("a3616263")] // str
    [InlineData("c403010203")] // bin
    [InlineData("82 a161 91 c3 a162 80")] // {"a": [true], "b": {}}
    [InlineData("d44090")] // empty tuple
    [InlineData("d6 05 01020304")] // an unregistered ext, payload opaque
    [InlineData("dc0001 00")] // array16 of one element (non-smallest header, still well formed)
    public void IsSingleObject_WellFormed_True(string hex)
    {
        Assert.True(DhtMsgPack.IsSingleObject(Bytes(hex), 16, out var error), error);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("", "truncated")]
    [InlineData("0000", "trailing bytes")]
    [InlineData("92 00", "truncated")] // array of 2 with 1 element
    [InlineData("c4 05 0102", "truncated")] // bin claims 5 bytes
    [InlineData("c6 ffffffff", "truncated")] // bin32 claims 4 GiB
    [InlineData("dd ffffffff", "truncated")] // array32 claims 4 billion elements
    [InlineData("df ffffffff", "truncated")] // map32 likewise
    [InlineData("81 00", "truncated")] // map entry without a value
    [InlineData("c1", "not a msgpack format")]
    [InlineData("a2 c328", "UTF-8")] // invalid continuation byte
    [InlineData("d5 40 0000", "is int, expected array")] // tuple payload not an array
    [InlineData("d5 40 90 00", "trailing bytes")] // tuple payload with a byte after its array
    public void IsSingleObject_Malformed_FalseWithReason(string hex, string reason)
    {
        Assert.False(DhtMsgPack.IsSingleObject(Bytes(hex), 16, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void IsSingleObject_Depth_BoundedByMaxDepth()
    {
        // n nested arrays: 91 repeated n-1 times around an empty array 90; the innermost is at depth n.
        static byte[] Nested(int depth) => Bytes(string.Concat(Enumerable.Repeat("91", depth - 1)) + "90");

        Assert.True(DhtMsgPack.IsSingleObject(Nested(16), 16, out _));
        Assert.False(DhtMsgPack.IsSingleObject(Nested(17), 16, out var error));
        Assert.Contains("nested deeper than 16 levels", error, StringComparison.Ordinal);
        Assert.True(DhtMsgPack.IsSingleObject(Bytes("00"), 1, out _));
        Assert.True(DhtMsgPack.IsSingleObject(Bytes("90"), 1, out _)); // an empty array is one level
        Assert.False(DhtMsgPack.IsSingleObject(Bytes("9100"), 1, out _)); // its element would be the second
    }

    [Fact]
    public void IsSingleObject_HugeDepth_DoesNotOverflowTheStack()
    {
        var bytes = new byte[100_000];
        bytes.AsSpan().Fill(0x91);
        Assert.False(DhtMsgPack.IsSingleObject(bytes, 16, out var error));
        Assert.Contains("nested deeper", error, StringComparison.Ordinal);
    }

    [Fact]
    public void IsSingleObject_BadMaxDepth_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(static () => DhtMsgPack.IsSingleObject(Bytes("00"), 0, out _));
    }

    [Theory]
    [InlineData("a3616263")] // str
    [InlineData("2a")] // int
    [InlineData("c403010203")] // bin
    [InlineData("c7 03 40 92 01 c0")] // tuple (1, None): hashable
    public void IsValidSubkey_Hashable_True(string hex)
    {
        Assert.True(DhtMsgPack.IsValidSubkey(Bytes(hex), DhtValueLimits.Default, out var error), error);
    }

    [Theory]
    [InlineData("c0", "nil")]
    [InlineData("", "truncated")]
    [InlineData("9101", "array")] // list: unhashable in Python
    [InlineData("81a16100", "map")] // dict: unhashable
    [InlineData("d5 40 91 90", "array")] // tuple holding a list: unhashable
    [InlineData("d5 50 9000", "dictionary value")] // ext 0x50
    [InlineData("a3616263 00", "trailing bytes")]
    public void IsValidSubkey_Invalid_FalseWithReason(string hex, string reason)
    {
        Assert.False(DhtMsgPack.IsValidSubkey(Bytes(hex), DhtValueLimits.Default, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void IsValidSubkey_Oversize_False()
    {
        var limits = new DhtValueLimits(MaxSubkeyBytes: 53);
        Assert.False(DhtMsgPack.IsValidSubkey(DhtMsgPack.Str(PeerId), limits, out var error));
        Assert.Contains("54 bytes, more than 53", error, StringComparison.Ordinal);
        Assert.True(DhtMsgPack.IsValidSubkey(DhtMsgPack.Str(PeerId), limits with { MaxSubkeyBytes = 54 }, out _));
    }
}
