// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Binary;
using System.Globalization;

namespace KwaaiNet.Libp2p.Noise;

/// <summary>
/// One direction of a Noise transport session: ChaCha20-Poly1305 with an empty associated data and the nonce
/// <c>00000000 ‖ little-endian 64-bit counter</c> (Noise Protocol Framework rev. 34 §5.1, §12.3), and libp2p's
/// framing of each message behind a 2-byte big-endian length (libp2p specs noise/README.md §Wire Format). This is
/// exactly the code <see cref="NoiseStream"/> runs per frame, usable on its own, e.g. to measure the ceiling of
/// "TCP + ChaCha20-Poly1305 framing" without a handshake. Not thread-safe: one caller at a time per direction.
/// </summary>
public sealed class NoiseTransportCipher : IDisposable
{
    /// <summary>Length of a transport key.</summary>
    public const int KeyLength = NoiseCipherState.KeyLength;

    /// <summary>Length of the authentication tag at the end of every message.</summary>
    public const int TagLength = NoiseCipherState.TagLength;

    /// <summary>Length of the big-endian length prefix in front of every message.</summary>
    public const int FrameHeaderLength = 2;

    /// <summary>Largest Noise message (the length prefix is 16 bits).</summary>
    public const int MaxMessageLength = ushort.MaxValue;

    /// <summary>Largest plaintext in one message: 65535 - 16 = 65519 bytes.</summary>
    public const int MaxPlaintextLength = MaxMessageLength - TagLength;

    /// <summary>Largest frame on the wire, prefix included.</summary>
    public const int MaxFrameLength = FrameHeaderLength + MaxMessageLength;

    private readonly NoiseCipherState _state;

    /// <summary>
    /// Creates a cipher from a raw 32-byte key with the nonce at 0. Sessions made by <see cref="NoiseSecurity"/>
    /// derive their keys from the handshake; a raw key is for benchmarks and tests.
    /// </summary>
    /// <exception cref="ArgumentException">The key is not 32 bytes.</exception>
    public NoiseTransportCipher(ReadOnlySpan<byte> key)
        : this(new NoiseCipherState(key))
    {
    }

    internal NoiseTransportCipher(NoiseCipherState state) => _state = state;

    /// <summary>The nonce (message counter) the next message uses.</summary>
    public ulong Nonce => _state.Nonce;

    internal NoiseCipherState State => _state;

    /// <summary>
    /// Bytes <see cref="SealFrames"/> writes for <paramref name="plaintextLength"/> bytes: the plaintext plus 18
    /// bytes (prefix and tag) per frame of at most <see cref="MaxPlaintextLength"/>. Zero bytes need no frame.
    /// </summary>
    public static int GetFramedLength(int plaintextLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(plaintextLength);
        var frames = (plaintextLength + MaxPlaintextLength - 1) / MaxPlaintextLength;
        return checked(plaintextLength + (frames * (FrameHeaderLength + TagLength)));
    }

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> as consecutive length-prefixed frames of at most
    /// <see cref="MaxPlaintextLength"/> plaintext bytes into <paramref name="destination"/> (which must hold
    /// <see cref="GetFramedLength"/> bytes and must not overlap the plaintext); returns the bytes written.
    /// </summary>
    /// <exception cref="InvalidOperationException">The send nonce is exhausted; the connection must be closed.</exception>
    public int SealFrames(ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        var total = GetFramedLength(plaintext.Length);
        if (destination.Length < total)
        {
            throw new ArgumentException("The destination is smaller than GetFramedLength(plaintext.Length).", nameof(destination));
        }

        var written = 0;
        while (!plaintext.IsEmpty)
        {
            var chunk = Math.Min(plaintext.Length, MaxPlaintextLength);
            var messageLength = chunk + TagLength;
            BinaryPrimitives.WriteUInt16BigEndian(destination[written..], (ushort)messageLength);
            _state.Encrypt([], plaintext[..chunk], destination.Slice(written + FrameHeaderLength, messageLength));
            written += FrameHeaderLength + messageLength;
            plaintext = plaintext[chunk..];
        }

        return written;
    }

    /// <summary>
    /// Decrypts one Noise transport message (without its length prefix: ciphertext and tag) into
    /// <paramref name="plaintext"/>, which needs <c>message.Length - 16</c> bytes and may be the same memory as the
    /// message (in place) but must not otherwise overlap it. Returns the plaintext length.
    /// </summary>
    /// <exception cref="Libp2pProtocolException">The message is shorter than its tag, longer than 65535 bytes, or
    /// fails to authenticate.</exception>
    public int OpenMessage(ReadOnlySpan<byte> message, Span<byte> plaintext)
    {
        if (message.Length is < TagLength or > MaxMessageLength)
        {
            throw new Libp2pProtocolException(string.Format(
                CultureInfo.InvariantCulture,
                "A Noise transport message of {0} bytes is invalid: it carries a {1}-byte tag and is at most {2} bytes.",
                message.Length,
                TagLength,
                MaxMessageLength));
        }

        if (!_state.TryDecrypt([], message, plaintext))
        {
            throw new Libp2pProtocolException(string.Format(
                CultureInfo.InvariantCulture,
                "Noise transport message {0} fails to decrypt (bad authentication tag): the data was corrupted or forged.",
                _state.Nonce));
        }

        return message.Length - TagLength;
    }

    /// <summary>Releases the cipher's native context.</summary>
    public void Dispose() => _state.Dispose();
}
