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

    private readonly byte[] _data;

    /// <summary>Creates a public key from its type and Data bytes.</summary>
    /// <exception cref="ArgumentException">The type is unknown, or the data is empty, too long, or not 32 bytes for Ed25519.</exception>
    public PublicKey(KeyType type, ReadOnlySpan<byte> data)
    {
        var error = Validate(type, data.Length);
        if (error is not null)
        {
            throw new ArgumentException("Invalid libp2p public key: " + error + ".", nameof(data));
        }

        Type = type;
        _data = data.ToArray();
    }

    /// <summary>The key type.</summary>
    public KeyType Type { get; }

    /// <summary>The type-specific key bytes (raw 32 bytes for Ed25519, DER SubjectPublicKeyInfo for RSA).</summary>
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

        error = Validate(type, data.Length);
        if (error is not null)
        {
            return false;
        }

        key = new PublicKey(type, data);
        return true;
    }

    private static string? Validate(KeyType type, int length)
    {
        var error = KeyProtobuf.Validate(type, length);
        if (error is null && type == KeyType.Ed25519 && length != Ed25519Length)
        {
            error = string.Format(
                CultureInfo.InvariantCulture, "an Ed25519 public key is {0} bytes, not {1}", Ed25519Length, length);
        }

        return error;
    }
}
