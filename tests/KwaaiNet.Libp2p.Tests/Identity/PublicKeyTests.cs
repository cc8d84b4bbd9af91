// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Identity;

namespace KwaaiNet.Libp2p.Tests.Identity;

public sealed class PublicKeyTests
{
    private const string PublicKeyHex = "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";

    [Fact]
    public void FromProtobuf_Ed25519Vector_DecodesAndReencodesIdentically()
    {
        var bytes = Convert.FromHexString(PublicKeyHex);

        var key = PublicKey.FromProtobuf(bytes);

        Assert.Equal(KeyType.Ed25519, key.Type);
        Assert.Equal(bytes[4..], key.Data.ToArray());
        Assert.Equal(bytes, key.ToProtobuf());
        Assert.Equal(36, key.GetProtobufLength());
    }

    [Fact]
    public void TryWriteProtobuf_ExactAndShortDestination_WritesOrRefuses()
    {
        var key = PublicKey.FromProtobuf(Convert.FromHexString(PublicKeyHex));
        var exact = new byte[36];

        Assert.True(key.TryWriteProtobuf(exact, out var written));
        Assert.Equal(36, written);
        Assert.Equal(PublicKeyHex, Convert.ToHexStringLower(exact));
        Assert.False(key.TryWriteProtobuf(new byte[35], out written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void FromProtobuf_FieldsInReverseOrder_DecodesTheSameKey()
    {
        var bytes = Convert.FromHexString("12201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e0801");

        var key = PublicKey.FromProtobuf(bytes);

        Assert.Equal(PublicKeyHex, Convert.ToHexStringLower(key.ToProtobuf()));
    }

    [Fact]
    public void ToProtobuf_LongData_UsesMultiByteLength()
    {
        var key = new PublicKey(KeyType.Rsa, new byte[300]);

        var bytes = key.ToProtobuf();

        Assert.Equal("080012ac02", Convert.ToHexStringLower(bytes.AsSpan(0, 5)));
        Assert.Equal(305, bytes.Length);
        Assert.Equal(key, PublicKey.FromProtobuf(bytes));
    }

    [Theory]
    [InlineData("", "Type) is missing")]
    [InlineData("0801", "Data) is missing")]
    [InlineData("1220" + "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e", "Type) is missing")]
    [InlineData("080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce2", "truncated")]
    [InlineData("08", "truncated")]
    [InlineData("08011280", "truncated")]
    [InlineData("080112", "truncated")]
    [InlineData("0801080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e", "more than once")]
    [InlineData("080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e1200", "more than once")]
    [InlineData("080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e1801", "unknown field number 3")]
    [InlineData("080712201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e", "unknown key type 7")]
    [InlineData("0a0112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e", "wrong wire type")]
    [InlineData("0801101e", "wrong wire type")]
    [InlineData("08811200", "unknown key type 2305")]
    [InlineData("08011200", "empty")]
    [InlineData("0801121f1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce2", "not 31")]
    public void FromProtobuf_Malformed_ThrowsKeyFormatException(string hex, string reason)
    {
        var bytes = Convert.FromHexString(hex);

        var ex = Assert.Throws<KeyFormatException>(() => PublicKey.FromProtobuf(bytes));

        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.False(PublicKey.TryFromProtobuf(bytes, out _));
    }

    [Fact]
    public void FromProtobuf_DataOver8KiB_IsRejectedBeforeReading()
    {
        // Declares 8193 data bytes (varint 81 40) with none present: the bound applies before the length check.
        var ex = Assert.Throws<KeyFormatException>(() => PublicKey.FromProtobuf(Convert.FromHexString("080012814000")));

        Assert.Contains("8193 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_Ed25519WrongLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => new PublicKey(KeyType.Ed25519, new byte[33]));
        Assert.Throws<ArgumentException>(() => new PublicKey((KeyType)9, new byte[32]));
        Assert.Throws<ArgumentException>(() => new PublicKey(KeyType.Rsa, []));
    }

    [Fact]
    public void Equals_SameTypeAndData_AreEqual()
    {
        var a = PublicKey.FromProtobuf(Convert.FromHexString(PublicKeyHex));
        var b = new PublicKey(KeyType.Ed25519, a.Data.Span);
        var c = new PublicKey(KeyType.Rsa, a.Data.Span);

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, c);
    }
}
