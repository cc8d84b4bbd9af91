// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace KwaaiNet.Libp2p.Identity;

/// <summary>
/// A libp2p <c>PublicKey</c> message (libp2p specs, peer-ids/peer-ids.md §Keys): a key type and its
/// type-specific bytes. Its protobuf encoding is what peer ids hash and what the Noise and identify
/// protocols carry.
/// </summary>
public sealed class PublicKey : IEquatable<PublicKey>
{
    /// <summary>Length of an Ed25519 public key's Data.</summary>
    public const int Ed25519Length = 32;

    /// <summary>Length of a Secp256k1 public key's Data: a compressed point (peer-ids.md §Secp256k1).</summary>
    public const int Secp256k1Length = 33;

    /// <summary>
    /// Longest ECDSA public key Data (a DER SubjectPublicKeyInfo) accepted; a P-521 key with an uncompressed point
    /// is 158 bytes.
    /// </summary>
    public const int MaxEcdsaLength = 256;

    private readonly byte[] _data;

    /// <summary>Creates a public key from its type and Data bytes.</summary>
    /// <exception cref="ArgumentException">
    /// The type is unknown, or the data is empty, too long, not 32 bytes for Ed25519, not a 33-byte compressed point for
    /// Secp256k1, or over <see cref="MaxEcdsaLength"/> bytes for ECDSA.
    /// </exception>
    public PublicKey(KeyType type, ReadOnlySpan<byte> data)
    {
        var error = Validate(type, data);
        if (error is not null)
        {
            throw new ArgumentException("Invalid libp2p public key: " + error + ".", nameof(data));
        }

        Type = type;
        _data = data.ToArray();
    }

    /// <summary>The key type.</summary>
    public KeyType Type { get; }

    /// <summary>
    /// The type-specific key bytes: raw 32 bytes for Ed25519, DER SubjectPublicKeyInfo for RSA and ECDSA, a 33-byte
    /// compressed point for Secp256k1. Only the length (and the Secp256k1 prefix byte) is checked here; whether the
    /// bytes are a usable key is decided by <see cref="NodeIdentity.Verify(PublicKey, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>.
    /// </summary>
    public ReadOnlyMemory<byte> Data => _data;

    /// <summary>Decodes a protobuf-encoded public key.</summary>
    /// <exception cref="KeyFormatException">The bytes are not a valid libp2p public key.</exception>
    public static PublicKey FromProtobuf(ReadOnlySpan<byte> protobuf)
    {
        if (!TryFromProtobuf(protobuf, out var key, out var error))
        {
            throw new KeyFormatException("Invalid libp2p public key protobuf: " + error + ".");
        }

        return key;
    }

    /// <summary>Decodes a protobuf-encoded public key; returns false when it is malformed.</summary>
    public static bool TryFromProtobuf(ReadOnlySpan<byte> protobuf, [NotNullWhen(true)] out PublicKey? key) =>
        TryFromProtobuf(protobuf, out key, out _);

    /// <summary>Bytes <see cref="TryWriteProtobuf"/> needs.</summary>
    public int GetProtobufLength() => KeyProtobuf.GetEncodedLength(Type, _data.Length);

    /// <summary>Writes the deterministic protobuf encoding; returns false when <paramref name="destination"/> is too small.</summary>
    public bool TryWriteProtobuf(Span<byte> destination, out int written) =>
        KeyProtobuf.TryWrite(Type, _data, destination, out written);

    /// <summary>Returns the deterministic protobuf encoding (for Ed25519 always <c>08 01 12 20</c> and the key).</summary>
    public byte[] ToProtobuf() => KeyProtobuf.Encode(Type, _data);

    /// <summary>The peer id this key identifies.</summary>
    public PeerId ToPeerId() => PeerId.FromPublicKey(this);

    /// <inheritdoc />
    public bool Equals(PublicKey? other) =>
        other is not null && other.Type == Type && other._data.AsSpan().SequenceEqual(_data);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as PublicKey);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Type);
        hash.AddBytes(_data);
        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Format(CultureInfo.InvariantCulture, "{0} public key ({1} bytes)", Type, _data.Length);

    internal static bool TryFromProtobuf(ReadOnlySpan<byte> protobuf, [NotNullWhen(true)] out PublicKey? key, out string? error)
    {
        key = null;
        if (!KeyProtobuf.TryRead(protobuf, out var type, out var data, out error))
        {
            return false;
        }

        error = Validate(type, data);
        if (error is not null)
        {
            return false;
        }

        key = new PublicKey(type, data);
        return true;
    }

    private static string? Validate(KeyType type, ReadOnlySpan<byte> data)
    {
        var error = KeyProtobuf.Validate(type, data.Length);
        if (error is not null)
        {
            return error;
        }

        return type switch
        {
            KeyType.Ed25519 when data.Length != Ed25519Length => string.Format(
                CultureInfo.InvariantCulture, "an Ed25519 public key is {0} bytes, not {1}", Ed25519Length, data.Length),

            // peer-ids.md §Secp256k1: "the Bitcoin EC encoding", the compressed form 0x02/0x03 || X, which is also
            // what go-libp2p and js-libp2p write. The uncompressed form would give the same key a second peer id.
            KeyType.Secp256k1 when data.Length != Secp256k1Length || data[0] is not (0x02 or 0x03) => string.Format(
                CultureInfo.InvariantCulture,
                "a Secp256k1 public key is a {0}-byte compressed point starting 02 or 03, not {1} bytes starting {2:x2}",
                Secp256k1Length,
                data.Length,
                data[0]),
            KeyType.Ecdsa when data.Length > MaxEcdsaLength => string.Format(
                CultureInfo.InvariantCulture, "an ECDSA public key is at most {0} bytes, not {1}", MaxEcdsaLength, data.Length),
            _ => null,
        };
    }
}
