// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace KwaaiNet.Libp2p.Identity;

/// <summary>
/// The node's libp2p identity: its private key, public key and peer id. Ed25519 is the default and
/// the only type this node generates; RSA keys (as used by hivemind bootstrap nodes) can be loaded,
/// used and verified. Signatures follow libp2p specs, peer-ids/peer-ids.md §Keys: Ed25519 per RFC 8032,
/// RSA as RSASSA-PKCS1-v1_5 with SHA-256. Remote Secp256k1 and ECDSA keys can be verified (not used for this
/// node's own identity): both are ECDSA over SHA-256 of the data with a DER signature.
/// </summary>
public sealed class NodeIdentity
{
    /// <summary>Length of an Ed25519 seed (the secret half of the key pair).</summary>
    public const int Ed25519SeedLength = 32;

    /// <summary>Length of an Ed25519 signature.</summary>
    public const int Ed25519SignatureLength = 64;

    /// <summary>Smallest RSA modulus accepted; smaller keys are forgeable and go-libp2p rejects them too.</summary>
    public const int MinRsaKeyBits = 2048;

    /// <summary>Largest RSA modulus accepted, bounding the cost of a peer-supplied key.</summary>
    public const int MaxRsaKeyBits = 8192;

    /// <summary>
    /// Longest DER ECDSA signature accepted: SEQUENCE of two INTEGERs of a P-521 key is at most 139 bytes (a 256-bit
    /// curve's is at most 72).
    /// </summary>
    public const int MaxEcdsaSignatureLength = 139;

    // RFC 5480 §2.1.1: id-ecPublicKey, the algorithm of every EC SubjectPublicKeyInfo.
    private const string EcPublicKeyOid = "1.2.840.10045.2.1";

    // OIDs of the named curves accepted for ECDSA keys (RFC 5480 §2.1.1.1): P-256, P-384, P-521.
    private static readonly string[] EcdsaCurveOids = ["1.2.840.10045.3.1.7", "1.3.132.0.34", "1.3.132.0.35"];

    private static readonly X9ECParameters Secp256k1Curve = SecNamedCurves.GetByName("secp256k1");
    private static readonly ECDomainParameters Secp256k1Domain = new(Secp256k1Curve);

    // The canonical private key bytes: the Ed25519 seed, or the re-exported PKCS#1 RSAPrivateKey.
    private readonly byte[] _secret;
    private readonly byte[] _publicKeyProtobuf;

    private NodeIdentity(KeyType keyType, byte[] secret, PublicKey publicKey)
    {
        KeyType = keyType;
        _secret = secret;
        PublicKey = publicKey;
        _publicKeyProtobuf = publicKey.ToProtobuf();
        PeerId = PeerId.FromEncodedKey(_publicKeyProtobuf);
    }

    /// <summary>The key type (<see cref="KeyType.Ed25519"/> or <see cref="KeyType.Rsa"/>).</summary>
    public KeyType KeyType { get; }

    /// <summary>The public key.</summary>
    public PublicKey PublicKey { get; }

    /// <summary>The deterministic protobuf encoding of <see cref="PublicKey"/>, as sent in Noise and identify.</summary>
    public ReadOnlyMemory<byte> PublicKeyProtobuf => _publicKeyProtobuf;

    /// <summary>The peer id derived from the public key.</summary>
    public PeerId PeerId { get; }

    /// <summary>Generates a fresh Ed25519 identity from the operating system's CSPRNG.</summary>
    public static NodeIdentity GenerateEd25519()
    {
        Span<byte> seed = stackalloc byte[Ed25519SeedLength];
        RandomNumberGenerator.Fill(seed);
        try
        {
            return FromEd25519Seed(seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>Creates an Ed25519 identity from its 32-byte seed.</summary>
    /// <exception cref="ArgumentException">The seed is not 32 bytes.</exception>
    public static NodeIdentity FromEd25519Seed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != Ed25519SeedLength)
        {
            throw new ArgumentException(
                string.Format(CultureInfo.InvariantCulture, "An Ed25519 seed is {0} bytes, not {1}.", Ed25519SeedLength, seed.Length),
                nameof(seed));
        }

        Span<byte> publicKey = stackalloc byte[PublicKey.Ed25519Length];
        Ed25519.GeneratePublicKey(seed, publicKey);
        return new NodeIdentity(KeyType.Ed25519, seed.ToArray(), new PublicKey(KeyType.Ed25519, publicKey));
    }

    /// <summary>
    /// Loads an identity from a protobuf-encoded libp2p private key (the <c>identity.key</c> format).
    /// </summary>
    /// <exception cref="KeyFormatException">The bytes are malformed or the key material is inconsistent.</exception>
    /// <exception cref="NotSupportedException">The key is Secp256k1 or ECDSA.</exception>
    public static NodeIdentity FromPrivateKeyProtobuf(ReadOnlySpan<byte> protobuf) =>
        FromPrivateKey(PrivateKey.FromProtobuf(protobuf));

    /// <summary>Loads an identity from a decoded libp2p private key.</summary>
    /// <exception cref="KeyFormatException">The key material is malformed or inconsistent.</exception>
    /// <exception cref="NotSupportedException">The key is Secp256k1 or ECDSA.</exception>
    public static NodeIdentity FromPrivateKey(PrivateKey privateKey)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        return privateKey.Type switch
        {
            KeyType.Ed25519 => FromEd25519PrivateData(privateKey.Data.Span),
            KeyType.Rsa => FromRsaPrivateData(privateKey.Data.Span),
            _ => throw new NotSupportedException(
                "Unsupported libp2p key type " + privateKey.Type + ": only Ed25519 and RSA identities are supported."),
        };
    }

    /// <summary>
    /// The private key as a libp2p <see cref="PrivateKey"/>: Ed25519 as seed || public key (64 bytes),
    /// RSA as PKCS#1 DER.
    /// </summary>
    public PrivateKey ToPrivateKey()
    {
        if (KeyType == KeyType.Rsa)
        {
            return new PrivateKey(KeyType.Rsa, _secret);
        }

        Span<byte> data = stackalloc byte[Ed25519SeedLength + PublicKey.Ed25519Length];
        try
        {
            _secret.CopyTo(data);
            PublicKey.Data.Span.CopyTo(data[Ed25519SeedLength..]);
            return new PrivateKey(KeyType.Ed25519, data);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(data);
        }
    }

    /// <summary>The protobuf-encoded private key, byte-compatible with go-libp2p and rust-libp2p.</summary>
    public byte[] ToPrivateKeyProtobuf() => ToPrivateKey().ToProtobuf();

    /// <summary>Signs <paramref name="data"/> (Ed25519: 64 bytes; RSA: PKCS#1 v1.5 over SHA-256).</summary>
    public byte[] Sign(ReadOnlySpan<byte> data)
    {
        if (KeyType == KeyType.Rsa)
        {
            using var rsa = RSA.Create();
            rsa.ImportRSAPrivateKey(_secret, out _);
            return rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }

        var signature = new byte[Ed25519SignatureLength];
        Ed25519.Sign(_secret, PublicKey.Data.Span, data, signature);
        return signature;
    }

    /// <summary>
    /// Verifies <paramref name="signature"/> over <paramref name="data"/> by the protobuf-encoded public
    /// key. Returns false for a bad signature and also for a malformed or unsupported key, because the
    /// key usually comes from a remote peer.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> publicKeyProtobuf, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        PublicKey.TryFromProtobuf(publicKeyProtobuf, out var publicKey) && Verify(publicKey, data, signature);

    /// <summary>
    /// Verifies <paramref name="signature"/> over <paramref name="data"/> by <paramref name="publicKey"/>.
    /// Returns false for a bad signature and for an unusable or unsupported key.
    /// </summary>
    public static bool Verify(PublicKey publicKey, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        switch (publicKey.Type)
        {
            case KeyType.Ed25519:
                return signature.Length == Ed25519SignatureLength
                    && Ed25519.Verify(signature, publicKey.Data.Span, data);

            case KeyType.Rsa:
                try
                {
                    using var rsa = RSA.Create();
                    rsa.ImportSubjectPublicKeyInfo(publicKey.Data.Span, out var read);
                    return read == publicKey.Data.Length
                        && rsa.KeySize is >= MinRsaKeyBits and <= MaxRsaKeyBits
                        && rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                }
                catch (CryptographicException)
                {
                    return false;
                }

            case KeyType.Secp256k1:
                return VerifySecp256k1(publicKey.Data.Span, data, signature);

            case KeyType.Ecdsa:
                return VerifyEcdsa(publicKey.Data.Span, data, signature);

            default:
                return false;
        }
    }

    /// <summary>Describes the identity by key type and peer id; never reveals the key.</summary>
    public override string ToString() => KeyType + " identity " + PeerId;

    // peer-ids.md §Secp256k1: the key is a compressed point on secp256k1; the signature is the DER encoding of an
    // ECDSA signature over the SHA-256 digest of the data. DsaDigestSigner's standard encoding accepts only canonical
    // DER (it re-encodes and compares) with r and s in [1, n-1], and DecodePoint rejects points off the curve.
    private static bool VerifySecp256k1(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (key.Length != PublicKey.Secp256k1Length || signature.IsEmpty || signature.Length > MaxEcdsaSignatureLength)
        {
            return false;
        }

        try
        {
            var point = Secp256k1Curve.Curve.DecodePoint(key.ToArray());
            var signer = new DsaDigestSigner(new ECDsaSigner(), new Sha256Digest());
            signer.Init(forSigning: false, new ECPublicKeyParameters(point, Secp256k1Domain));
            signer.BlockUpdate(data);
            return signer.VerifySignature(signature.ToArray());
        }
        catch (ArgumentException)
        {
            // Not a point on the curve (BouncyCastle reports a bad encoding or coordinates as ArgumentException).
            return false;
        }
    }

    // peer-ids.md §ECDSA: the key is a DER SubjectPublicKeyInfo (go-libp2p writes P-256), the signature the DER
    // encoding of an ECDSA signature over SHA-256 of the data, whatever the curve.
    private static bool VerifyEcdsa(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (key.Length > PublicKey.MaxEcdsaLength || signature.IsEmpty || signature.Length > MaxEcdsaSignatureLength)
        {
            return false;
        }

        try
        {
            // The curve is checked before the key reaches the platform's crypto library, which would otherwise
            // decide (differently per OS) which curves, and which explicit curve parameters, a peer may choose.
            if (!HasAcceptedEcdsaCurve(key))
            {
                return false;
            }

            using var ecdsa = ECDsa.Create();
            ecdsa.ImportSubjectPublicKeyInfo(key, out var read);
            return read == key.Length
                && ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (Exception ex) when (ex is CryptographicException or AsnContentException or PlatformNotSupportedException)
        {
            return false;
        }
    }

    // RFC 5480 §2: SubjectPublicKeyInfo ::= SEQUENCE { algorithm SEQUENCE { id-ecPublicKey, namedCurve OID }, BIT STRING }.
    private static bool HasAcceptedEcdsaCurve(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        var spki = new AsnReader(subjectPublicKeyInfo.ToArray(), AsnEncodingRules.DER).ReadSequence();
        var algorithm = spki.ReadSequence();
        return algorithm.ReadObjectIdentifier() == EcPublicKeyOid
            && Array.IndexOf(EcdsaCurveOids, algorithm.ReadObjectIdentifier()) >= 0
            && !algorithm.HasData;
    }

    private static NodeIdentity FromEd25519PrivateData(ReadOnlySpan<byte> data)
    {
        // peer-ids.md §Ed25519: Data is seed || public key. go-libp2p once wrote the public key twice
        // (96 bytes), and some tools store the bare seed; both are still read.
        if (data.Length is not (32 or 64 or 96))
        {
            throw new KeyFormatException(string.Format(
                CultureInfo.InvariantCulture,
                "An Ed25519 private key is 64 bytes (seed || public key; legacy 96- and bare 32-byte forms are also read), not {0}.",
                data.Length));
        }

        var seed = data[..Ed25519SeedLength];
        var identity = FromEd25519Seed(seed);
        var derived = identity.PublicKey.Data.Span;
        for (var offset = Ed25519SeedLength; offset < data.Length; offset += PublicKey.Ed25519Length)
        {
            if (!data.Slice(offset, PublicKey.Ed25519Length).SequenceEqual(derived))
            {
                throw new KeyFormatException(
                    "The Ed25519 private key is inconsistent: its embedded public key does not match the one derived from its seed.");
            }
        }

        return identity;
    }

    private static NodeIdentity FromRsaPrivateData(ReadOnlySpan<byte> data)
    {
        using var rsa = RSA.Create();
        try
        {
            rsa.ImportRSAPrivateKey(data, out var read);
            if (read != data.Length)
            {
                throw new KeyFormatException("The RSA private key has trailing bytes after its PKCS#1 structure.");
            }
        }
        catch (CryptographicException ex)
        {
            throw new KeyFormatException("The RSA private key is not a valid PKCS#1 RSAPrivateKey: " + ex.Message, ex);
        }

        if (rsa.KeySize is < MinRsaKeyBits or > MaxRsaKeyBits)
        {
            throw new KeyFormatException(string.Format(
                CultureInfo.InvariantCulture,
                "The RSA private key has {0} bits; {1} to {2} are accepted.",
                rsa.KeySize,
                MinRsaKeyBits,
                MaxRsaKeyBits));
        }

        // A corrupted private key can still parse; one sign-and-verify proves the halves belong together
        // before the node announces a peer id it could not sign for.
        byte[] secret;
        byte[] publicKeyInfo;
        try
        {
            ReadOnlySpan<byte> probe = "kwaainet-libp2p-identity-self-check"u8;
            var signature = rsa.SignData(probe, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            if (!rsa.VerifyData(probe, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            {
                throw new KeyFormatException("The RSA private key is inconsistent: it fails a sign-and-verify self-check.");
            }

            secret = rsa.ExportRSAPrivateKey();
            publicKeyInfo = rsa.ExportSubjectPublicKeyInfo();
        }
        catch (CryptographicException ex)
        {
            throw new KeyFormatException("The RSA private key is unusable: " + ex.Message, ex);
        }

        return new NodeIdentity(KeyType.Rsa, secret, new PublicKey(KeyType.Rsa, publicKeyInfo));
    }
}
