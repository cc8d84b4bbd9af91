// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Security.Cryptography;
using KwaaiNet.Libp2p.Identity;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;

namespace KwaaiNet.Libp2p.Tests.Identity;

/// <summary>Verification of remote Secp256k1 and ECDSA keys (peer-ids.md §Secp256k1, §ECDSA).</summary>
public sealed class EcdsaVerificationTests
{
    // libp2p specs, peer-ids/peer-ids.md §Test vectors: the Secp256k1 and ECDSA key pairs, protobuf-encoded.
    private const string SpecSecp256k1PrivateHex = "0802122053dadf1d5a164d6b4acdb15e24aa4c5b1d3461bdbd42abedb0a4404d56ced8fb";
    private const string SpecSecp256k1PublicHex = "08021221037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99";
    private const string SpecEcdsaPrivateHex =
        "08031279307702010104203e5b1fe9712e6c314942a750bd67485de3c1efe85b1bfb520ae8f9ae3dfa4a4ca00a06082a8648ce3d030107a14403420004de3d300fa36ae0e8f5d530899d83abab44abf3161f162a4bc901d8e6ecda020e8b6d5f8da30525e71d6851510c098e5c47c646a597fb4dcec034e9f77c409e62";
    private const string SpecEcdsaPublicHex =
        "0803125b3059301306072a8648ce3d020106082a8648ce3d03010703420004de3d300fa36ae0e8f5d530899d83abab44abf3161f162a4bc901d8e6ecda020e8b6d5f8da30525e71d6851510c098e5c47c646a597fb4dcec034e9f77c409e62";

    private static readonly byte[] Message = "libp2p signed payload"u8.ToArray();

    [Fact]
    public void Secp256k1_SpecVector_PublicKeyMatchesPrivateAndPeerIdInlinesIt()
    {
        var privateKey = PrivateKey.FromProtobuf(Convert.FromHexString(SpecSecp256k1PrivateHex));
        var curve = SecNamedCurves.GetByName("secp256k1");
        var derived = curve.G.Multiply(new BigInteger(1, privateKey.Data.ToArray())).Normalize().GetEncoded(compressed: true);

        var publicKey = PublicKey.FromProtobuf(Convert.FromHexString(SpecSecp256k1PublicHex));
        var peerId = publicKey.ToPeerId();

        Assert.Equal(KeyType.Secp256k1, publicKey.Type);
        Assert.Equal(derived, publicKey.Data.ToArray());
        Assert.Equal(SpecSecp256k1PublicHex, Convert.ToHexStringLower(publicKey.ToProtobuf()));

        // 37 bytes of protobuf: at most 42, so the id is the identity multihash of the key (peer-ids.md §Peer Ids).
        Assert.True(peerId.IsInlinedKey);
        Assert.Equal("0025" + SpecSecp256k1PublicHex, Convert.ToHexStringLower(peerId.Multihash.Span));
        Assert.True(peerId.TryGetPublicKey(out var recovered));
        Assert.Equal(publicKey, recovered);
        Assert.Equal(peerId, PeerId.Parse(peerId.ToString()));
    }

    [Fact]
    public void Secp256k1_SpecKeySignature_Verifies()
    {
        var privateKey = PrivateKey.FromProtobuf(Convert.FromHexString(SpecSecp256k1PrivateHex));
        var publicKey = PublicKey.FromProtobuf(Convert.FromHexString(SpecSecp256k1PublicHex));

        var signature = SignSecp256k1(privateKey.Data.ToArray(), Message);

        Assert.True(NodeIdentity.Verify(publicKey, Message, signature));
        Assert.True(NodeIdentity.Verify(publicKey.ToProtobuf(), Message, signature));
    }

    [Fact]
    public void Secp256k1_GeneratedKey_VerifiesAndRejectsTampering()
    {
        var (secret, publicKey) = GenerateSecp256k1();
        var signature = SignSecp256k1(secret, Message);
        var (_, otherKey) = GenerateSecp256k1();

        Assert.True(NodeIdentity.Verify(publicKey, Message, signature));
        Assert.False(NodeIdentity.Verify(otherKey, Message, signature));
        AssertTamperingFails(publicKey, signature);
    }

    [Fact]
    public void Secp256k1_PointNotOnCurve_ReturnsFalse()
    {
        var (secret, _) = GenerateSecp256k1();
        var signature = SignSecp256k1(secret, Message);
        var curve = SecNamedCurves.GetByName("secp256k1").Curve;

        // About half of all x coordinates have no point; find one and present it as a compressed key.
        var data = new byte[PublicKey.Secp256k1Length];
        data[0] = 0x02;
        for (byte x = 1; ; x++)
        {
            data[^1] = x;
            try
            {
                curve.DecodePoint(data);
            }
            catch (ArgumentException)
            {
                break;
            }
        }

        Assert.False(NodeIdentity.Verify(new PublicKey(KeyType.Secp256k1, data), Message, signature));

        // x = 2^256 - 1 is beyond the field prime.
        data.AsSpan(1).Fill(0xff);
        Assert.False(NodeIdentity.Verify(new PublicKey(KeyType.Secp256k1, data), Message, signature));
    }

    [Theory]
    [InlineData("04")]
    [InlineData("047777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99")]
    [InlineData("037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca")]
    [InlineData("037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca9900")]
    public void Secp256k1_NotACompressedPoint_IsRejectedAsAKey(string dataHex)
    {
        var data = Convert.FromHexString(dataHex);

        Assert.Throws<ArgumentException>(() => new PublicKey(KeyType.Secp256k1, data));
        Assert.False(PublicKey.TryFromProtobuf(new PrivateKey(KeyType.Secp256k1, data).ToProtobuf(), out _));
        Assert.Throws<KeyFormatException>(() => PublicKey.FromProtobuf(new PrivateKey(KeyType.Secp256k1, data).ToProtobuf()));
    }

    [Fact]
    public void Ecdsa_SpecVector_PublicKeyMatchesPrivateAndVerifies()
    {
        var privateKey = PrivateKey.FromProtobuf(Convert.FromHexString(SpecEcdsaPrivateHex));
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportECPrivateKey(privateKey.Data.Span, out _);

        var publicKey = PublicKey.FromProtobuf(Convert.FromHexString(SpecEcdsaPublicHex));
        var signature = ecdsa.SignData(Message, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

        Assert.Equal(KeyType.Ecdsa, publicKey.Type);
        Assert.Equal(ecdsa.ExportSubjectPublicKeyInfo(), publicKey.Data.ToArray());
        Assert.False(publicKey.ToPeerId().IsInlinedKey);
        Assert.True(NodeIdentity.Verify(publicKey, Message, signature));
        Assert.True(NodeIdentity.Verify(Convert.FromHexString(SpecEcdsaPublicHex), Message, signature));
    }

    [Theory]
    [InlineData("nistP256")]
    [InlineData("nistP384")]
    [InlineData("nistP521")]
    public void Ecdsa_NistCurves_VerifyAndRejectTampering(string curveName)
    {
        using var ecdsa = ECDsa.Create(ECCurve.CreateFromFriendlyName(curveName));
        var publicKey = new PublicKey(KeyType.Ecdsa, ecdsa.ExportSubjectPublicKeyInfo());
        var signature = ecdsa.SignData(Message, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        using var other = ECDsa.Create(ECCurve.CreateFromFriendlyName(curveName));

        Assert.True(NodeIdentity.Verify(publicKey, Message, signature));
        Assert.False(NodeIdentity.Verify(new PublicKey(KeyType.Ecdsa, other.ExportSubjectPublicKeyInfo()), Message, signature));
        AssertTamperingFails(publicKey, signature);
    }

    [Fact]
    public void Ecdsa_RawP1363SignatureOrOtherHash_ReturnsFalse()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var publicKey = new PublicKey(KeyType.Ecdsa, ecdsa.ExportSubjectPublicKeyInfo());

        var raw = ecdsa.SignData(Message, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var sha384 = ecdsa.SignData(Message, HashAlgorithmName.SHA384, DSASignatureFormat.Rfc3279DerSequence);

        Assert.False(NodeIdentity.Verify(publicKey, Message, raw));
        Assert.False(NodeIdentity.Verify(publicKey, Message, sha384));
    }

    [Fact]
    public void Ecdsa_UnacceptedCurveOrNonEcKey_ReturnsFalse()
    {
        using var brainpool = ECDsa.Create(ECCurve.NamedCurves.brainpoolP256r1);
        var brainpoolSignature = brainpool.SignData(Message, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        using var rsa = RSA.Create(1024);
        using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p256Signature = p256.SignData(Message, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        byte[] withTrailingByte = [.. p256.ExportSubjectPublicKeyInfo(), 0];

        Assert.False(NodeIdentity.Verify(new PublicKey(KeyType.Ecdsa, brainpool.ExportSubjectPublicKeyInfo()), Message, brainpoolSignature));
        Assert.False(NodeIdentity.Verify(new PublicKey(KeyType.Ecdsa, rsa.ExportSubjectPublicKeyInfo()), Message, p256Signature));
        Assert.False(NodeIdentity.Verify(new PublicKey(KeyType.Ecdsa, withTrailingByte), Message, p256Signature));
        Assert.False(NodeIdentity.Verify(new PublicKey(KeyType.Ecdsa, [0x30, 0x03, 0x02, 0x01, 0x01]), Message, p256Signature));
    }

    [Fact]
    public void Ecdsa_GarbageKeys_NeverThrow()
    {
        using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = p256.ExportSubjectPublicKeyInfo();
        var signature = p256.SignData(Message, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var random = new Random(11);
        for (var i = 0; i < 2_000; i++)
        {
            var key = spki.AsSpan(0, random.Next(1, spki.Length + 1)).ToArray();
            key[random.Next(key.Length)] ^= (byte)(1 << random.Next(8));
            var secp = new byte[PublicKey.Secp256k1Length];
            random.NextBytes(secp);
            secp[0] = (byte)(2 + (i & 1));

            Assert.False(NodeIdentity.Verify(new PublicKey(KeyType.Ecdsa, key), Message, signature));
            Assert.False(NodeIdentity.Verify(new PublicKey(KeyType.Secp256k1, secp), Message, signature));
        }
    }

    [Fact]
    public void Ecdsa_OversizeKey_IsRejectedAsAKey()
    {
        Assert.Throws<ArgumentException>(() => new PublicKey(KeyType.Ecdsa, new byte[PublicKey.MaxEcdsaLength + 1]));
        Assert.False(PublicKey.TryFromProtobuf(new PrivateKey(KeyType.Ecdsa, new byte[PublicKey.MaxEcdsaLength + 1]).ToProtobuf(), out _));
    }

    private static void AssertTamperingFails(PublicKey publicKey, byte[] signature)
    {
        byte[] otherMessage = [.. Message];
        otherMessage[0] ^= 1;
        Assert.False(NodeIdentity.Verify(publicKey, otherMessage, signature));
        Assert.False(NodeIdentity.Verify(publicKey, [], signature));

        // Every single-bit flip of the signature: DER structure bits and r/s bits alike.
        for (var bit = 0; bit < signature.Length * 8; bit++)
        {
            var flipped = (byte[])signature.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(NodeIdentity.Verify(publicKey, Message, flipped));
        }

        Assert.False(NodeIdentity.Verify(publicKey, Message, signature.AsSpan(0, signature.Length - 1)));
        Assert.False(NodeIdentity.Verify(publicKey, Message, [.. signature, 0]));
        Assert.False(NodeIdentity.Verify(publicKey, Message, []));
        Assert.False(NodeIdentity.Verify(publicKey, Message, new byte[64]));
        Assert.False(NodeIdentity.Verify(publicKey, Message, new byte[NodeIdentity.MaxEcdsaSignatureLength + 1]));
        Assert.False(NodeIdentity.Verify(publicKey, Message, [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]));
        Assert.False(NodeIdentity.Verify(publicKey, Message, [0x30, 0x80, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00, 0x00]));
        Assert.False(NodeIdentity.Verify(publicKey, Message, [0x30, 0xff]));

        var random = new Random(3);
        for (var i = 0; i < 500; i++)
        {
            var garbage = new byte[random.Next(1, NodeIdentity.MaxEcdsaSignatureLength + 1)];
            random.NextBytes(garbage);
            garbage[0] = 0x30;
            Assert.False(NodeIdentity.Verify(publicKey, Message, garbage));
        }
    }

    private static (byte[] Secret, PublicKey PublicKey) GenerateSecp256k1()
    {
        var curve = SecNamedCurves.GetByName("secp256k1");
        BigInteger d;
        do
        {
            d = new BigInteger(256, new SecureRandom());
        }
        while (d.SignValue == 0 || d.CompareTo(curve.N) >= 0);

        var point = curve.G.Multiply(d).Normalize().GetEncoded(compressed: true);
        return (d.ToByteArrayUnsigned(), new PublicKey(KeyType.Secp256k1, point));
    }

    // An independent signer for the tests: BouncyCastle with RFC 6979 deterministic nonces over SHA-256.
    private static byte[] SignSecp256k1(byte[] secret, byte[] message)
    {
        var curve = SecNamedCurves.GetByName("secp256k1");
        var domain = new ECDomainParameters(curve);
        var signer = new DsaDigestSigner(new ECDsaSigner(new HMacDsaKCalculator(new Sha256Digest())), new Sha256Digest());
        signer.Init(forSigning: true, new ECPrivateKeyParameters(new BigInteger(1, secret), domain));
        signer.BlockUpdate(message, 0, message.Length);
        return signer.GenerateSignature();
    }
}
