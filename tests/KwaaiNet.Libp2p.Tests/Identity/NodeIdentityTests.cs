// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Security.Cryptography;
using KwaaiNet.Libp2p.Identity;

namespace KwaaiNet.Libp2p.Tests.Identity;

public sealed class NodeIdentityTests
{
    private const string SeedHex = "7e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d";
    private const string Ed25519PublicHex = "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
    private const string PrivateKeyHex = "08011240" + SeedHex + Ed25519PublicHex;
    private const string PublicKeyHex = "08011220" + Ed25519PublicHex;
    private const string PeerIdText = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";

    // js-libp2p peer-id's RSA-2048 fixture ("sample"): an identity.key written by another implementation,
    // with its public key protobuf and sha2-256 peer id multihash.
    private const string JsRsaPrivateKeyBase64 =
        "CAASpgkwggSiAgEAAoIBAQC2SKo/HMFZeBml1AF3XijzrxrfQXdJzjePBZAbdxqKR1Mc6juRHXij6HXYPjlAk01BhF1S3Ll4Lwi0cAHhggf457sMg55UWyeGKeUv0ucgvCpBwlR5cQ020i0MgzjPWOLWq1rtvSbNcAi2ZEVn6+Q2EcHo3wUvWRtLeKz+DZSZfw2PEDC+DGPJPl7f8g7zl56YymmmzH9liZLNrzg/qidokUv5u1pdGrcpLuPNeTODk0cqKB+OUbuKj9GShYECCEjaybJDl9276oalL9ghBtSeEv20kugatTvYy590wFlJkkvyl+nPxIH0EEYMKK9XRWlu9XYnoSfboiwcv8M3SlsjAgMBAAECggEAZtju/bcKvKFPz0mkHiaJcpycy9STKphorpCT83srBVQi59CdFU6Mj+aL/xt0kCPMVigJw8P3/YCEJ9J+rS8BsoWE+xWUEsJvtXoT7vzPHaAtM3ci1HZd302Mz1+GgS8Epdx+7F5p80XAFLDUnELzOzKftvWGZmWfSeDnslwVONkL/1VAzwKy7Ce6hk4SxRE7l2NE2OklSHOzCGU1f78ZzVYKSnS5Ag9YrGjOAmTOXDbKNKN/qIorAQ1bovzGoCwx3iGIatQKFOxyVCyO1PsJYT7JO+kZbhBWRRE+L7l+ppPER9bdLFxs1t5CrKc078h+wuUr05S1P1JjXk68pk3+kQKBgQDeK8AR11373Mzib6uzpjGzgNRMzdYNuExWjxyxAzz53NAR7zrPHvXvfIqjDScLJ4NcRO2TddhXAfZoOPVH5k4PJHKLBPKuXZpWlookCAyENY7+Pd55S8r+a+MusrMagYNljb5WbVTgN8cgdpim9lbbIFlpN6SZaVjLQL3J8TWH6wKBgQDSChzItkqWX11CNstJ9zJyUE20I7LrpyBJNgG1gtvz3ZMUQCn3PxxHtQzN9n1P0mSSYs+jBKPuoSyYLt1wwe10/lpgL4rkKWU3/m1Myt0tveJ9WcqHh6tzcAbb/fXpUFT/o4SWDimWkPkuCb+8j//2yiXk0a/T2f36zKMuZvujqQKBgC6B7BAQDG2H2B/ijofp12ejJU36nL98gAZyqOfpLJ+FeMz4TlBDQ+phIMhnHXA5UkdDapQ+zA3SrFk+6yGk9Vw4Hf46B+82SvOrSbmnMa+PYqKYIvUzR4gg34rL/7AhwnbEyD5hXq4dHwMNsIDq+l2elPjwm/U9V0gdAl2+r50HAoGALtsKqMvhv8HucAMBPrLikhXP/8um8mMKFMrzfqZ+otxfHzlhI0L08Bo3jQrb0Z7ByNY6M8epOmbCKADsbWcVre/AAY0ZkuSZK/CaOXNX/AhMKmKJh8qAOPRY02LIJRBCpfS4czEdnfUhYV/TYiFNnKRj57PPYZdTzUsxa/yVTmECgYBr7slQEjb5Onn5mZnGDh+72BxLNdgwBkhO0OCdpdISqk0F0Pxby22DFOKXZEpiyI9XYP1C8wPiJsShGm2yEwBPWXnrrZNWczaVuCbXHrZkWQogBDG3HGXNdU4MAWCyiYlyinIBpPpoAJZSzpGLmWbMWh28+RJS6AQX6KHrK1o2uw==";

    private const string JsRsaPublicKeyBase64 =
        "CAASpgIwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQC2SKo/HMFZeBml1AF3XijzrxrfQXdJzjePBZAbdxqKR1Mc6juRHXij6HXYPjlAk01BhF1S3Ll4Lwi0cAHhggf457sMg55UWyeGKeUv0ucgvCpBwlR5cQ020i0MgzjPWOLWq1rtvSbNcAi2ZEVn6+Q2EcHo3wUvWRtLeKz+DZSZfw2PEDC+DGPJPl7f8g7zl56YymmmzH9liZLNrzg/qidokUv5u1pdGrcpLuPNeTODk0cqKB+OUbuKj9GShYECCEjaybJDl9276oalL9ghBtSeEv20kugatTvYy590wFlJkkvyl+nPxIH0EEYMKK9XRWlu9XYnoSfboiwcv8M3SlsjAgMBAAE=";

    private const string JsRsaPeerIdMultihashHex = "122019318b6e5e0cf93a2314bf01269a2cc23cd3dcd452d742cdb9379d8646f6e4a9";

    [Fact]
    public void FromPrivateKeyProtobuf_Ed25519Vector_DerivesPublicKeyAndPeerId()
    {
        var identity = NodeIdentity.FromPrivateKeyProtobuf(Convert.FromHexString(PrivateKeyHex));

        Assert.Equal(KeyType.Ed25519, identity.KeyType);
        Assert.Equal(PublicKeyHex, Convert.ToHexStringLower(identity.PublicKeyProtobuf.Span));
        Assert.Equal(PeerIdText, identity.PeerId.ToBase58());
        Assert.Equal(PrivateKeyHex, Convert.ToHexStringLower(identity.ToPrivateKeyProtobuf()));
    }

    [Fact]
    public void Sign_Ed25519Vector_MatchesReferenceSignature()
    {
        var identity = NodeIdentity.FromEd25519Seed(Convert.FromHexString(SeedHex));
        byte[] message = [.. "noise-libp2p-static-key:"u8, .. Enumerable.Repeat((byte)0x11, 32)];

        var signature = identity.Sign(message);

        Assert.Equal(
            "0d730a9be07200f4bb3a94794b8a5a88d5b53f1801235c5d48fc3fac6b4696aae642e6733ac1dc64bcb09bb154e26a1c48fc3e10663c3c621063a9a55a0c9e0e",
            Convert.ToHexStringLower(signature));
        Assert.True(NodeIdentity.Verify(identity.PublicKeyProtobuf.Span, message, signature));
    }

    [Fact]
    public void Verify_TamperedMessageOrSignature_ReturnsFalse()
    {
        var identity = NodeIdentity.GenerateEd25519();
        byte[] message = [1, 2, 3];
        var signature = identity.Sign(message);

        Assert.True(NodeIdentity.Verify(identity.PublicKey, message, signature));
        Assert.False(NodeIdentity.Verify(identity.PublicKey, [1, 2, 4], signature));
        signature[0] ^= 1;
        Assert.False(NodeIdentity.Verify(identity.PublicKey, message, signature));
        Assert.False(NodeIdentity.Verify(identity.PublicKey, message, signature.AsSpan(0, 63)));
        Assert.False(NodeIdentity.Verify([0x08, 0x01], message, signature));
    }

    [Fact]
    public void FromPrivateKeyProtobuf_LegacyAndBareSeedForms_GiveTheSameIdentity()
    {
        var legacy = new PrivateKey(KeyType.Ed25519, Convert.FromHexString(SeedHex + Ed25519PublicHex + Ed25519PublicHex));
        var bare = new PrivateKey(KeyType.Ed25519, Convert.FromHexString(SeedHex));

        var fromLegacy = NodeIdentity.FromPrivateKeyProtobuf(legacy.ToProtobuf());
        var fromBare = NodeIdentity.FromPrivateKeyProtobuf(bare.ToProtobuf());

        Assert.Equal(PeerIdText, fromLegacy.PeerId.ToBase58());
        Assert.Equal(PeerIdText, fromBare.PeerId.ToBase58());

        // Written back in the canonical 64-byte form.
        Assert.Equal(PrivateKeyHex, Convert.ToHexStringLower(fromLegacy.ToPrivateKeyProtobuf()));
    }

    [Fact]
    public void FromPrivateKeyProtobuf_MismatchedEmbeddedPublicKey_Throws()
    {
        var other = NodeIdentity.GenerateEd25519().PublicKey.Data.Span;
        byte[] data = [.. Convert.FromHexString(SeedHex), .. other];

        var ex = Assert.Throws<KeyFormatException>(
            () => NodeIdentity.FromPrivateKeyProtobuf(new PrivateKey(KeyType.Ed25519, data).ToProtobuf()));

        Assert.Contains("does not match", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromPrivateKeyProtobuf_LegacyFormWithDifferentThirdKey_Throws()
    {
        var other = NodeIdentity.GenerateEd25519().PublicKey.Data.Span;
        byte[] data = [.. Convert.FromHexString(SeedHex + Ed25519PublicHex), .. other];

        Assert.Throws<KeyFormatException>(
            () => NodeIdentity.FromPrivateKeyProtobuf(new PrivateKey(KeyType.Ed25519, data).ToProtobuf()));
    }

    [Theory]
    [InlineData(31)]
    [InlineData(63)]
    [InlineData(65)]
    [InlineData(128)]
    public void FromPrivateKeyProtobuf_Ed25519WrongLength_Throws(int length)
    {
        var protobuf = new PrivateKey(KeyType.Ed25519, new byte[length]).ToProtobuf();

        var ex = Assert.Throws<KeyFormatException>(() => NodeIdentity.FromPrivateKeyProtobuf(protobuf));

        Assert.Contains("64 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(KeyType.Secp256k1)]
    [InlineData(KeyType.Ecdsa)]
    public void FromPrivateKeyProtobuf_UnsupportedKeyType_ThrowsNotSupported(KeyType type)
    {
        var protobuf = new PrivateKey(type, new byte[32]).ToProtobuf();

        var ex = Assert.Throws<NotSupportedException>(() => NodeIdentity.FromPrivateKeyProtobuf(protobuf));

        Assert.Contains("Unsupported libp2p key type " + type, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromPrivateKeyProtobuf_Truncated_ThrowsKeyFormatException()
    {
        var bytes = Convert.FromHexString(PrivateKeyHex)[..40];

        Assert.Throws<KeyFormatException>(() => NodeIdentity.FromPrivateKeyProtobuf(bytes));
    }

    [Fact]
    public void GenerateEd25519_TwoCalls_GiveDistinctWorkingIdentities()
    {
        var a = NodeIdentity.GenerateEd25519();
        var b = NodeIdentity.GenerateEd25519();

        Assert.NotEqual(a.PeerId, b.PeerId);
        Assert.StartsWith("12D3KooW", a.PeerId.ToBase58(), StringComparison.Ordinal);
        Assert.Equal(a.PeerId, NodeIdentity.FromPrivateKeyProtobuf(a.ToPrivateKeyProtobuf()).PeerId);
        Assert.Equal(a.PeerId, PeerId.FromPublicKeyProtobuf(a.PublicKeyProtobuf.Span));
    }

    [Fact]
    public void FromPrivateKeyProtobuf_GeneratedRsa2048_HasSha256PeerId()
    {
        using var rsa = RSA.Create(2048);
        var protobuf = new PrivateKey(KeyType.Rsa, rsa.ExportRSAPrivateKey()).ToProtobuf();

        var identity = NodeIdentity.FromPrivateKeyProtobuf(protobuf);

        // Built by hand: PublicKey{Type = RSA (08 00), Data (12, varint length) = SubjectPublicKeyInfo}.
        var spki = rsa.ExportSubjectPublicKeyInfo();
        Span<byte> length = stackalloc byte[UVarint.MaxLength];
        UVarint.TryWrite(length, (ulong)spki.Length, out var lengthBytes);
        byte[] publicKeyProtobuf = [0x08, 0x00, 0x12, .. length[..lengthBytes], .. spki];
        byte[] multihash = [0x12, 0x20, .. SHA256.HashData(publicKeyProtobuf)];

        Assert.Equal(KeyType.Rsa, identity.KeyType);
        Assert.Equal(publicKeyProtobuf, identity.PublicKeyProtobuf.ToArray());
        Assert.StartsWith("Qm", identity.PeerId.ToBase58(), StringComparison.Ordinal);
        Assert.Equal(Base58.Encode(multihash), identity.PeerId.ToBase58());
        Assert.Equal(protobuf, identity.ToPrivateKeyProtobuf());
        Assert.Equal(identity.PeerId, PeerId.Parse(identity.PeerId.ToBase58()));
    }

    [Fact]
    public void FromPrivateKeyProtobuf_JsLibp2pRsaFixture_MatchesItsPublicKeyAndPeerId()
    {
        var identity = NodeIdentity.FromPrivateKeyProtobuf(Convert.FromBase64String(JsRsaPrivateKeyBase64));

        Assert.Equal(Convert.FromBase64String(JsRsaPublicKeyBase64), identity.PublicKeyProtobuf.ToArray());
        Assert.Equal(JsRsaPeerIdMultihashHex, Convert.ToHexStringLower(identity.PeerId.Multihash.Span));
        Assert.StartsWith("Qm", identity.PeerId.ToBase58(), StringComparison.Ordinal);
    }

    [Fact]
    public void Sign_Rsa_VerifiesWithPkcs1Sha256()
    {
        var identity = NodeIdentity.FromPrivateKeyProtobuf(Convert.FromBase64String(JsRsaPrivateKeyBase64));
        byte[] message = [.. "hello libp2p"u8];

        var signature = identity.Sign(message);

        Assert.Equal(256, signature.Length);
        Assert.True(NodeIdentity.Verify(identity.PublicKeyProtobuf.Span, message, signature));
        Assert.False(NodeIdentity.Verify(identity.PublicKeyProtobuf.Span, [.. "hello libp2q"u8], signature));
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(identity.PublicKey.Data.Span, out _);
        Assert.True(rsa.VerifyData(message, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void FromPrivateKeyProtobuf_Rsa1024_IsRejectedAsTooSmall()
    {
        using var rsa = RSA.Create(1024);
        var protobuf = new PrivateKey(KeyType.Rsa, rsa.ExportRSAPrivateKey()).ToProtobuf();

        var ex = Assert.Throws<KeyFormatException>(() => NodeIdentity.FromPrivateKeyProtobuf(protobuf));

        Assert.Contains("1024 bits", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromPrivateKeyProtobuf_RsaGarbage_ThrowsKeyFormatException()
    {
        var protobuf = new PrivateKey(KeyType.Rsa, [0x30, 0x03, 0x02, 0x01, 0x00]).ToProtobuf();

        Assert.Throws<KeyFormatException>(() => NodeIdentity.FromPrivateKeyProtobuf(protobuf));
    }

    [Fact]
    public void ToString_ShowsPeerIdOnly()
    {
        var identity = NodeIdentity.FromPrivateKeyProtobuf(Convert.FromHexString(PrivateKeyHex));

        Assert.Equal("Ed25519 identity " + PeerIdText, identity.ToString());
    }
}
