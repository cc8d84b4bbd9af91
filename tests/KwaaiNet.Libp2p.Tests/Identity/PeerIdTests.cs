// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Security.Cryptography;
using KwaaiNet.Libp2p.Identity;

namespace KwaaiNet.Libp2p.Tests.Identity;

public sealed class PeerIdTests
{
    private const string PublicKeyHex = "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
    private const string MultihashHex = "0024080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
    private const string Base58Text = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";
    private const string CidText = "bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodrypfm6yaq6dsc2r2pzyt6";

    [Fact]
    public void FromPublicKeyProtobuf_Ed25519Vector_InlinesKeyWithIdentityMultihash()
    {
        var peerId = PeerId.FromPublicKeyProtobuf(Convert.FromHexString(PublicKeyHex));

        Assert.Equal(MultihashHex, Convert.ToHexStringLower(peerId.Multihash.Span));
        Assert.True(peerId.IsInlinedKey);
        Assert.Equal(Base58Text, peerId.ToBase58());
        Assert.Equal(Base58Text, peerId.ToString());
        Assert.Equal(CidText, peerId.ToCidString());
    }

    [Fact]
    public void Parse_Base58AndCid_GiveTheSamePeerId()
    {
        var fromBase58 = PeerId.Parse(Base58Text);
        var fromCid = PeerId.Parse(CidText);

        Assert.Equal(fromBase58, fromCid);
        Assert.True(fromBase58 == fromCid);
        Assert.Equal(fromBase58.GetHashCode(), fromCid.GetHashCode());
        Assert.Equal(MultihashHex, Convert.ToHexStringLower(fromCid.Multihash.Span));
    }

    [Theory]
    [InlineData("12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA", "bafzaajaiaejcal72gwuz2or47oyxxn6b3rkwdmmkrxgkjxzy3rqt5kczyn7lcm3l")]
    [InlineData(Base58Text, CidText)]
    public void ToCidString_SpecVectors_RoundTripWithBase58(string base58, string cid)
    {
        Assert.Equal(cid, PeerId.Parse(base58).ToCidString());
        Assert.Equal(base58, PeerId.Parse(cid).ToBase58());
    }

    [Theory]
    [InlineData("QmQhRuheeCLEsVD3RsnknM75gPDDqxAb8DhnWgro7KhaJc")]
    [InlineData("Qmd3A8N5aQBATe2SYvNikaeCS9CAKN4E86jdCPacZ6RZJY")]
    public void Parse_BootstrapRsaPeerIds_AreSha256Multihashes(string text)
    {
        var peerId = PeerId.Parse(text);

        var multihash = peerId.Multihash.Span;
        Assert.Equal(34, multihash.Length);
        Assert.Equal(0x12, multihash[0]);
        Assert.Equal(0x20, multihash[1]);
        Assert.False(peerId.IsInlinedKey);
        Assert.False(peerId.TryGetPublicKey(out _));
        Assert.Equal(text, peerId.ToBase58());
        Assert.Equal(peerId, PeerId.Parse(peerId.ToCidString()));
    }

    [Fact]
    public void TryGetPublicKey_InlinedEd25519Id_RecoversTheKey()
    {
        Assert.True(PeerId.Parse(Base58Text).TryGetPublicKey(out var key));

        Assert.Equal(KeyType.Ed25519, key.Type);
        Assert.Equal(PublicKeyHex, Convert.ToHexStringLower(key.ToProtobuf()));
    }

    [Fact]
    public void Matches_OwnAndOtherKey_ComparesById()
    {
        var peerId = PeerId.Parse(Base58Text);
        var own = PublicKey.FromProtobuf(Convert.FromHexString(PublicKeyHex));
        var other = NodeIdentity.GenerateEd25519().PublicKey;

        Assert.True(peerId.Matches(own));
        Assert.False(peerId.Matches(other));
    }

    [Fact]
    public void FromPublicKey_LargeKey_UsesSha256Multihash()
    {
        var data = new byte[64];
        data.AsSpan().Fill(0x42);
        var key = new PublicKey(KeyType.Rsa, data);

        var peerId = PeerId.FromPublicKey(key);

        byte[] expected = [0x12, 0x20, .. SHA256.HashData(key.ToProtobuf())];
        Assert.Equal(expected, peerId.Multihash.ToArray());
        Assert.StartsWith("Qm", peerId.ToBase58(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_InvalidBase58Character_ThrowsFormatExceptionNamingTheCharacter()
    {
        var ex = Assert.Throws<FormatException>(() => PeerId.Parse("12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3p0"));

        Assert.Contains("'0'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("position 51", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Overlong_ThrowsWithoutEchoingTheInput()
    {
        var text = "1" + new string('A', PeerId.MaxTextLength);

        var ex = Assert.Throws<FormatException>(() => PeerId.Parse(text));

        Assert.Contains("longer than 128", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(text, ex.Message, StringComparison.Ordinal);
        Assert.False(PeerId.TryParse(text, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("Qz3A8N5aQBATe2SYvNikaeCS9CAKN4E86jdCPacZ6RZJY")]
    [InlineData("QmQhRuheeCLEsVD3RsnknM75gPDDqxAb8DhnWgro7KhaJ")]
    [InlineData("12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3p")]
    [InlineData("1")]
    [InlineData("11111111")]
    [InlineData("bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodrypfm6yaq6dsc2r2pzyt")]
    [InlineData("bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodrypfm6yaq6dsc2r2pzyt6a")]
    [InlineData("BAFZAAJAIAEJCAHWR5D5OFRFBIS4L5D6UWR57HU5TJODRYPFM6YAQ6DSC2R2PZYT6")]
    [InlineData("zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA")]
    public void TryParse_Invalid_ReturnsFalseAndParseThrowsFormatException(string text)
    {
        Assert.False(PeerId.TryParse(text, out var peerId));
        Assert.Null(peerId);
        Assert.Throws<FormatException>(() => PeerId.Parse(text));
    }

    [Fact]
    public void TryParse_Null_ReturnsFalse()
    {
        Assert.False(PeerId.TryParse(null, out _));
    }

    [Fact]
    public void Parse_CidWithWrongCodec_Throws()
    {
        // CIDv1 with the raw codec (0x55) instead of libp2p-key (0x72).
        byte[] cid = [0x01, 0x55, .. Convert.FromHexString(MultihashHex)];
        var text = "b" + Base32Lower.Encode(cid);

        var ex = Assert.Throws<FormatException>(() => PeerId.Parse(text));

        Assert.Contains("libp2p-key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WrongMultihashCode_Throws()
    {
        // A sha2-512 (0x13) multihash is well formed but is not a peer id.
        byte[] multihash = [0x13, 0x20, .. new byte[32]];
        var text = "b" + Base32Lower.Encode([0x01, 0x72, .. multihash]);

        var ex = Assert.Throws<FormatException>(() => PeerId.Parse(text));

        Assert.Contains("unsupported multihash code 0x13", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("00")]
    [InlineData("0000")]
    [InlineData("1220")]
    [InlineData("12210000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("1320000000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("00050102030405ff")]
    [InlineData("0004010203")]
    public void TryFromMultihash_Invalid_ReturnsFalse(string hex)
    {
        var bytes = Convert.FromHexString(hex);

        Assert.False(PeerId.TryFromMultihash(bytes, out _));
        Assert.Throws<FormatException>(() => PeerId.FromMultihash(bytes));
    }

    [Fact]
    public void FromMultihash_IdentityOver42Bytes_Throws()
    {
        byte[] multihash = [0x00, 43, .. new byte[43]];

        var ex = Assert.Throws<FormatException>(() => PeerId.FromMultihash(multihash));

        Assert.Contains("1 to 42", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromMultihash_Valid_RoundTrips()
    {
        var bytes = Convert.FromHexString(MultihashHex);

        Assert.True(PeerId.TryFromMultihash(bytes, out var peerId));
        Assert.Equal(Base58Text, peerId.ToBase58());
        Assert.Equal(PeerId.FromMultihash(bytes), peerId);
    }
}
