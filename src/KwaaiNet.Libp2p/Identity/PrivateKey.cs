// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace KwaaiNet.Libp2p.Identity;

/// <summary>
/// A libp2p <c>PrivateKey</c> message (libp2p specs, peer-ids/peer-ids.md §Keys), the format of an
/// <c>identity.key</c> file (go-libp2p-daemon <c>-id</c>, rust-libp2p <c>Keypair::to_protobuf_encoding</c>).
/// This is only the envelope; <see cref="NodeIdentity"/> interprets and checks the key material.
/// </summary>
public sealed class PrivateKey
{
    private readonly byte[] _data;

    /// <summary>Creates a private key message from its type and Data bytes.</summary>
    /// <exception cref="ArgumentException">The type is unknown, or the data is empty or too long.</exception>
    public PrivateKey(KeyType type, ReadOnlySpan<byte> data)
    {
        var error = KeyProtobuf.Validate(type, data.Length);
        if (error is not null)
        {
            throw new ArgumentException("Invalid libp2p private key: " + error + ".", nameof(data));
        }

        Type = type;
        _data = data.ToArray();
    }

    /// <summary>The key type.</summary>
    public KeyType Type { get; }

    /// <summary>
    /// The secret key bytes (Ed25519: seed || public key, 64 bytes; RSA: PKCS#1 RSAPrivateKey DER).
    /// </summary>
    public ReadOnlyMemory<byte> Data => _data;

    /// <summary>Decodes a protobuf-encoded private key.</summary>
    /// <exception cref="KeyFormatException">The bytes are not a valid libp2p private key message.</exception>
    public static PrivateKey FromProtobuf(ReadOnlySpan<byte> protobuf)
    {
        if (!KeyProtobuf.TryRead(protobuf, out var type, out var data, out var error))
        {
            throw new KeyFormatException("Invalid libp2p private key protobuf: " + error + ".");
        }

        return new PrivateKey(type, data);
    }

    /// <summary>Decodes a protobuf-encoded private key; returns false when it is malformed.</summary>
    public static bool TryFromProtobuf(ReadOnlySpan<byte> protobuf, [NotNullWhen(true)] out PrivateKey? key)
    {
        if (!KeyProtobuf.TryRead(protobuf, out var type, out var data, out _))
        {
            key = null;
            return false;
        }

        key = new PrivateKey(type, data);
        return true;
    }

    /// <summary>Bytes <see cref="TryWriteProtobuf"/> needs.</summary>
    public int GetProtobufLength() => KeyProtobuf.GetEncodedLength(Type, _data.Length);

    /// <summary>Writes the deterministic protobuf encoding; returns false when <paramref name="destination"/> is too small.</summary>
    public bool TryWriteProtobuf(Span<byte> destination, out int written) =>
        KeyProtobuf.TryWrite(Type, _data, destination, out written);

    /// <summary>Returns the deterministic protobuf encoding.</summary>
    public byte[] ToProtobuf() => KeyProtobuf.Encode(Type, _data);

    /// <summary>Describes the key without revealing the secret bytes.</summary>
    public override string ToString() =>
        string.Format(CultureInfo.InvariantCulture, "{0} private key ({1} bytes, redacted)", Type, _data.Length);
}
