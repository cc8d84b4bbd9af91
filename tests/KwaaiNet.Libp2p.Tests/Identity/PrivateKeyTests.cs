// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Identity;

namespace KwaaiNet.Libp2p.Tests.Identity;

public sealed class PrivateKeyTests
{
    private const string PrivateKeyHex =
        "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";

    [Fact]
    public void FromProtobuf_Ed25519Vector_RoundTrips()
    {
        var bytes = Convert.FromHexString(PrivateKeyHex);

        var key = PrivateKey.FromProtobuf(bytes);

        Assert.Equal(KeyType.Ed25519, key.Type);
        Assert.Equal(64, key.Data.Length);
        Assert.Equal(bytes, key.ToProtobuf());
        Assert.True(PrivateKey.TryFromProtobuf(bytes, out var again));
        Assert.Equal(key.Data.ToArray(), again.Data.ToArray());
    }

    [Fact]
    public void FromProtobuf_Secp256k1_DecodesEnvelope()
    {
        // The envelope codec accepts every defined type; NodeIdentity decides what it supports.
        var bytes = Convert.FromHexString("08021220" + new string('a', 64));

        Assert.Equal(KeyType.Secp256k1, PrivateKey.FromProtobuf(bytes).Type);
    }

    [Theory]
    [InlineData("08011240")]
    [InlineData("0801")]
    [InlineData("1220aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("2801")]
    public void FromProtobuf_Malformed_ThrowsKeyFormatException(string hex)
    {
        var bytes = Convert.FromHexString(hex);

        Assert.Throws<KeyFormatException>(() => PrivateKey.FromProtobuf(bytes));
        Assert.False(PrivateKey.TryFromProtobuf(bytes, out _));
    }

    [Fact]
    public void ToString_DoesNotRevealKeyMaterial()
    {
        var key = PrivateKey.FromProtobuf(Convert.FromHexString(PrivateKeyHex));

        var text = key.ToString();

        Assert.Contains("redacted", text, StringComparison.Ordinal);
        Assert.DoesNotContain("7e08", text, StringComparison.OrdinalIgnoreCase);
    }
}
