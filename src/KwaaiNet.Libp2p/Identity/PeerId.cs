// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;

namespace KwaaiNet.Libp2p.Identity;

/// <summary>
/// A libp2p peer id: the multihash of a peer's protobuf-encoded public key
/// (libp2p specs, peer-ids/peer-ids.md §Peer Ids). Keys whose encoding is at most 42 bytes (Ed25519)
/// are inlined with the identity multihash, so the id carries the key itself and its text starts with
/// <c>12D3KooW</c>; larger keys (RSA) are hashed with sha2-256 and their text starts with <c>Qm</c>.
/// </summary>
public sealed class PeerId : IEquatable<PeerId>
{
    /// <summary>Longest text accepted by <see cref="Parse"/>; real peer ids are 46 to 62 characters.</summary>
    public const int MaxTextLength = 128;

    /// <summary>Serialized keys up to this length are inlined with the identity multihash (peer-ids.md §Peer Ids).</summary>
    public const int MaxInlineKeyLength = 42;

    // Multicodec table: identity = 0x00, sha2-256 = 0x12, cidv1 = 0x01, libp2p-key = 0x72.
    private const ulong IdentityCode = 0x00;
    private const ulong Sha256Code = 0x12;
    private const int Sha256Length = 32;
    private const ulong CidVersion1 = 0x01;
    private const ulong Libp2pKeyCodec = 0x72;
    private const int MaxMultihashLength = 2 + MaxInlineKeyLength;

    private readonly byte[] _multihash;
    private string? _text;

    private PeerId(byte[] multihash)
    {
        _multihash = multihash;
    }

    /// <summary>The multihash bytes (the binary peer id carried on the wire).</summary>
    public ReadOnlyMemory<byte> Multihash => _multihash;

    /// <summary>True when the id inlines the public key (identity multihash) rather than hashing it.</summary>
    public bool IsInlinedKey => _multihash[0] == IdentityCode;

    /// <summary>Wraps validated multihash bytes.</summary>
    /// <exception cref="FormatException">The bytes are not an identity (≤ 42 bytes) or sha2-256 multihash.</exception>
    public static PeerId FromMultihash(ReadOnlySpan<byte> multihash)
    {
        var error = ValidateMultihash(multihash);
        if (error is not null)
        {
            throw new FormatException("Invalid peer id multihash: " + error + ".");
        }

        return new PeerId(multihash.ToArray());
    }

    /// <summary>Wraps multihash bytes; returns false when they are not a valid peer id multihash.</summary>
    public static bool TryFromMultihash(ReadOnlySpan<byte> multihash, [NotNullWhen(true)] out PeerId? peerId)
    {
        peerId = ValidateMultihash(multihash) is null ? new PeerId(multihash.ToArray()) : null;
        return peerId is not null;
    }

    /// <summary>Computes the peer id of <paramref name="publicKey"/>.</summary>
    public static PeerId FromPublicKey(PublicKey publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        var length = publicKey.GetProtobufLength();
        Span<byte> encoded = length <= 1024 ? stackalloc byte[length] : new byte[length];
        publicKey.TryWriteProtobuf(encoded, out _);
        return FromEncodedKey(encoded);
    }

    /// <summary>
    /// Computes the peer id of a protobuf-encoded public key. The key is decoded first, so a malformed
    /// or non-canonical encoding is rejected rather than hashed into an id nobody else would compute.
    /// </summary>
    /// <exception cref="KeyFormatException">The bytes are not a valid libp2p public key.</exception>
    public static PeerId FromPublicKeyProtobuf(ReadOnlySpan<byte> publicKeyProtobuf) =>
        FromPublicKey(PublicKey.FromProtobuf(publicKeyProtobuf));

    /// <summary>
    /// Parses a peer id in either text form: a base58btc multihash (<c>12D3KooW…</c>, <c>Qm…</c>) or a
    /// CIDv1 with the libp2p-key codec in multibase base32 (<c>bafz…</c>) (peer-ids.md §String representation).
    /// </summary>
    /// <exception cref="FormatException">The text is not a valid peer id; the message says why.</exception>
    public static PeerId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text, out var peerId, out var error))
        {
            var shown = text.Length <= MaxTextLength ? "'" + text + "'" : "(" + text.Length.ToString(CultureInfo.InvariantCulture) + " characters)";
            throw new FormatException("Invalid peer id " + shown + ": " + error + ".");
        }

        return peerId;
    }

    /// <summary>Parses a peer id (see <see cref="Parse"/>); returns false, never throwing, when it is invalid.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out PeerId? peerId)
    {
        if (text is null)
        {
            peerId = null;
            return false;
        }

        return TryParse(text, out peerId, out _);
    }

    /// <summary>
    /// Recovers the public key from an inlined-key (identity multihash) peer id. Returns false for
    /// hashed ids (RSA), which do not carry the key.
    /// </summary>
    public bool TryGetPublicKey([NotNullWhen(true)] out PublicKey? publicKey)
    {
        publicKey = null;
        return IsInlinedKey && PublicKey.TryFromProtobuf(_multihash.AsSpan(2), out publicKey);
    }

    /// <summary>True when <paramref name="publicKey"/> is the key this peer id was derived from.</summary>
    public bool Matches(PublicKey publicKey) => Equals(FromPublicKey(publicKey));

    /// <summary>The base58btc text form of the multihash (<c>12D3KooW…</c> or <c>Qm…</c>).</summary>
    public string ToBase58() => _text ??= Base58.Encode(_multihash);

    /// <summary>The CIDv1 text form: multibase base32 of <c>0x01 0x72</c> and the multihash (<c>bafz…</c>).</summary>
    public string ToCidString()
    {
        Span<byte> cid = stackalloc byte[2 + MaxMultihashLength];
        cid[0] = (byte)CidVersion1;
        cid[1] = (byte)Libp2pKeyCodec;
        _multihash.CopyTo(cid[2..]);
        return "b" + Base32Lower.Encode(cid[..(2 + _multihash.Length)]);
    }

    /// <summary>The base58btc text form.</summary>
    public override string ToString() => ToBase58();

    /// <inheritdoc />
    public bool Equals(PeerId? other) => other is not null && other._multihash.AsSpan().SequenceEqual(_multihash);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as PeerId);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(_multihash);
        return hash.ToHashCode();
    }

    /// <summary>Value equality.</summary>
    public static bool operator ==(PeerId? left, PeerId? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(PeerId? left, PeerId? right) => !(left == right);

    internal static PeerId FromEncodedKey(ReadOnlySpan<byte> encodedKey)
    {
        byte[] multihash;
        if (encodedKey.Length <= MaxInlineKeyLength)
        {
            multihash = new byte[2 + encodedKey.Length];
            multihash[0] = (byte)IdentityCode;
            multihash[1] = (byte)encodedKey.Length;
            encodedKey.CopyTo(multihash.AsSpan(2));
        }
        else
        {
            multihash = new byte[2 + Sha256Length];
            multihash[0] = (byte)Sha256Code;
            multihash[1] = Sha256Length;
            SHA256.HashData(encodedKey, multihash.AsSpan(2));
        }

        return new PeerId(multihash);
    }

    private static bool TryParse(string text, [NotNullWhen(true)] out PeerId? peerId, out string? error)
    {
        peerId = null;
        if (text.Length == 0)
        {
            error = "the text is empty";
            return false;
        }

        if (text.Length > MaxTextLength)
        {
            error = string.Format(CultureInfo.InvariantCulture, "longer than {0} characters", MaxTextLength);
            return false;
        }

        Span<byte> buffer = stackalloc byte[MaxTextLength];
        scoped ReadOnlySpan<byte> multihash;

        // peer-ids.md §Decoding: text starting with '1' or "Qm" is a bare base58btc multihash;
        // anything else is a multibase-encoded CID.
        if (text[0] == '1' || text.StartsWith("Qm", StringComparison.Ordinal))
        {
            if (!Base58.TryDecode(text, buffer, out var written))
            {
                var position = Base58.IndexOfInvalidChar(text);
                error = string.Format(
                    CultureInfo.InvariantCulture,
                    "invalid base58btc character '{0}' at position {1}",
                    text[position],
                    position);
                return false;
            }

            multihash = buffer[..written];
        }
        else if (text[0] == 'b')
        {
            if (!Base32Lower.TryDecode(text.AsSpan(1), buffer, out var written))
            {
                error = "the CID is not valid lower-case unpadded base32 (multibase 'b')";
                return false;
            }

            var cid = buffer[..written];
            if (!UVarint.TryRead(cid, out var version, out var consumed) || version != CidVersion1)
            {
                error = "the CID is not CIDv1";
                return false;
            }

            cid = cid[consumed..];
            if (!UVarint.TryRead(cid, out var codec, out consumed) || codec != Libp2pKeyCodec)
            {
                error = "the CID's content codec is not libp2p-key (0x72)";
                return false;
            }

            multihash = cid[consumed..];
        }
        else
        {
            error = "expected a base58btc multihash (starting '1' or 'Qm') or a base32 CIDv1 (starting 'b')";
            return false;
        }

        error = ValidateMultihash(multihash);
        if (error is not null)
        {
            return false;
        }

        peerId = new PeerId(multihash.ToArray());
        return true;
    }

    private static string? ValidateMultihash(ReadOnlySpan<byte> multihash)
    {
        if (!UVarint.TryRead(multihash, out var code, out var codeLength))
        {
            return "truncated or malformed multihash code";
        }

        if (!UVarint.TryRead(multihash[codeLength..], out var digestLength, out var lengthLength))
        {
            return "truncated or malformed multihash length";
        }

        var digest = multihash[(codeLength + lengthLength)..];
        if ((ulong)digest.Length != digestLength)
        {
            return string.Format(
                CultureInfo.InvariantCulture, "the multihash declares {0} digest bytes but has {1}", digestLength, digest.Length);
        }

        return code switch
        {
            IdentityCode when digest.Length is 0 or > MaxInlineKeyLength => string.Format(
                CultureInfo.InvariantCulture, "an identity multihash must inline 1 to {0} bytes, not {1}", MaxInlineKeyLength, digest.Length),
            IdentityCode => null,
            Sha256Code when digest.Length != Sha256Length => string.Format(
                CultureInfo.InvariantCulture, "a sha2-256 multihash must have {0} digest bytes, not {1}", Sha256Length, digest.Length),
            Sha256Code => null,
            _ => string.Format(
                CultureInfo.InvariantCulture, "unsupported multihash code 0x{0:x}; peer ids use identity (0x00) or sha2-256 (0x12)", code),
        };
    }
}
