// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using KwaaiNet.Libp2p.Identity;

namespace KwaaiNet.Libp2p.Tests.Identity;

public sealed class Base58Tests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("00", "1")]
    [InlineData("0000", "11")]
    [InlineData("61", "2g")]
    [InlineData("626262", "a3gV")]
    [InlineData("636363", "aPEr")]
    [InlineData("00000000000000000000", "1111111111")]
    [InlineData("0000287fb4cd", "11233QC4")]
    [InlineData("0024080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e", "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq")]
    public void Encode_KnownVectors_MatchesBitcoinAlphabet(string hex, string expected)
    {
        var data = Convert.FromHexString(hex);

        Assert.Equal(expected, Base58.Encode(data));
        Assert.Equal(data, Base58.Decode(expected));
    }

    [Fact]
    public void EncodeDecode_RandomData_RoundTrips()
    {
        var random = new Random(1234);
        for (var length = 0; length < 80; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
            if (length > 2)
            {
                data[0] = 0;
            }

            Assert.Equal(data, Base58.Decode(Base58.Encode(data)));
        }
    }

    [Theory]
    [InlineData("0OIl", 0)]
    [InlineData("12D3Koo0", 7)]
    [InlineData("abc+", 3)]
    [InlineData("abcé", 3)]
    public void Decode_InvalidCharacter_ThrowsFormatExceptionNamingPosition(string text, int position)
    {
        var ex = Assert.Throws<FormatException>(() => Base58.Decode(text));

        Assert.Contains("position " + position.ToString(CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
        Assert.False(Base58.TryDecode(text, new byte[text.Length], out _));
    }

    [Fact]
    public void TryDecode_DestinationTooSmall_ReturnsFalse()
    {
        Assert.False(Base58.TryDecode("a3gV", new byte[2], out var written));
        Assert.Equal(0, written);
    }
}
