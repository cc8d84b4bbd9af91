// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text;
using KwaaiNet.Libp2p.Identity;

namespace KwaaiNet.Libp2p.Tests.Identity;

public sealed class Base32LowerTests
{
    // RFC 4648 §10 test vectors, lower case without padding.
    [Theory]
    [InlineData("", "")]
    [InlineData("f", "my")]
    [InlineData("fo", "mzxq")]
    [InlineData("foo", "mzxw6")]
    [InlineData("foob", "mzxw6yq")]
    [InlineData("fooba", "mzxw6ytb")]
    [InlineData("foobar", "mzxw6ytboi")]
    public void EncodeDecode_Rfc4648Vectors_RoundTrip(string plain, string encoded)
    {
        var bytes = Encoding.ASCII.GetBytes(plain);

        Assert.Equal(encoded, Base32Lower.Encode(bytes));
        var buffer = new byte[Base32Lower.GetMaxDecodedLength(encoded.Length)];
        Assert.True(Base32Lower.TryDecode(encoded, buffer, out var written));
        Assert.Equal(bytes, buffer[..written]);
    }

    [Theory]
    [InlineData("m")]
    [InlineData("mzx")]
    [InlineData("mzxw6y")]
    [InlineData("mz")]
    [InlineData("MZXQ")]
    [InlineData("mzxq====")]
    [InlineData("mzx1")]
    public void TryDecode_NonCanonicalOrInvalid_ReturnsFalse(string text)
    {
        Assert.False(Base32Lower.TryDecode(text, new byte[16], out _));
    }
}
