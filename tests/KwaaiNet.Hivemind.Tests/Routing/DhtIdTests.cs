// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Routing;

namespace KwaaiNet.Hivemind.Tests.Routing;

public sealed class DhtIdTests
{
    private static readonly string[] Unordered =
    [
        "8000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000001",
        "0000000000000000000000010000000000000000",
        "00000000000000000000000000000000ffffffff",
    ];

    // Research notes kwaainet-upstream.md §4.2: SHA-1 over the msgpack str form of each key.
    [Theory]
    [InlineData("_petals.models", "0a63ed21831f3f7d24f07949cea69a94476b4faf")]
    [InlineData("_kwaai.inference.nodes", "531c2cf657a8e75384a436a0dcf6d170c8040d8a")]
    [InlineData("_kwaai.vpk.nodes", "50ec7a4dbc12f7484b1fa44d9296de7d4180331b")]
    [InlineData("Llama-3-1-8B-Instruct-hf.0", "cbb35b786725711fb1680f818a5b04ae3570e44f")]
    [InlineData("Llama-3-1-8B-Instruct.0", "821ccf962f07b3a728a8b3b8e1c6a5391fb6db37")]
    public void FromKey_MatchesTheResearchVectors(string key, string expected)
    {
        Assert.Equal(expected, DhtId.FromKey(key).ToString());
    }

    [Fact]
    public void FromKey_HashesTheMsgPackStrForm_Fixstr_And_Str8()
    {
        // fixstr for fewer than 32 bytes (0xa0 | length), str8 (0xd9, length) from 32 to 255.
        var shortKey = "abc";
        var longKey = new string('k', 40);

        Assert.Equal(DhtId.FromMsgPackKey([0xa3, (byte)'a', (byte)'b', (byte)'c']), DhtId.FromKey(shortKey));
        Assert.Equal(DhtId.FromMsgPackKey([0xd9, 40, .. System.Text.Encoding.ASCII.GetBytes(longKey)]), DhtId.FromKey(longKey));
    }

    [Fact]
    public void Bytes_RoundTrip_BigEndian()
    {
        var bytes = Convert.FromHexString("0102030405060708090a0b0c0d0e0f1011121314");
        var id = DhtId.FromBytes(bytes);

        Assert.Equal(bytes, id.ToBytes());
        Assert.Equal("0102030405060708090a0b0c0d0e0f1011121314", id.ToString());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(19)]
    [InlineData(21)]
    public void FromBytes_WrongLength_IsRejected(int length)
    {
        Assert.False(DhtId.TryFromBytes(new byte[length], out _));
        Assert.Throws<FormatException>(() => DhtId.FromBytes(new byte[length]));
    }

    [Fact]
    public void Distance_IsXor_Symmetric_AndZeroOnlyToItself()
    {
        var a = DhtId.FromBytes(Convert.FromHexString("ff00000000000000000000000000000000000001"));
        var b = DhtId.FromBytes(Convert.FromHexString("0f00000000000000000000000000000000000003"));

        Assert.Equal("f000000000000000000000000000000000000002", a.DistanceTo(b).ToString());
        Assert.Equal(a.DistanceTo(b), b.DistanceTo(a));
        Assert.Equal(new string('0', 40), a.DistanceTo(a).ToString());
    }

    [Fact]
    public void Ordering_IsThatOfUnsigned160BitNumbers()
    {
        var ids = Unordered
            .Select(h => DhtId.FromBytes(Convert.FromHexString(h)))
            .Order()
            .Select(static id => id.ToString())
            .ToArray();

        Assert.Equal([Unordered[1], Unordered[3], Unordered[2], Unordered[0]], ids);
    }

    [Fact]
    public void Random_GivesDistinctIds()
    {
        Assert.NotEqual(DhtId.Random(), DhtId.Random());
    }
}
