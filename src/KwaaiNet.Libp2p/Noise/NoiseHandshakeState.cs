// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using System.Security.Cryptography;
using Org.BouncyCastle.Math.EC.Rfc7748;

namespace KwaaiNet.Libp2p.Noise;

/// <summary>
/// The Noise <c>HandshakeState</c> (Noise Protocol Framework rev. 34 §5.3) for exactly one protocol,
/// <c>Noise_XX_25519_ChaChaPoly_SHA256</c>: <c>-> e</c>, <c>&lt;- e, ee, s, es</c>, <c>-> s, se</c>. Messages are
/// unframed here; <see cref="NoiseSecurity"/> adds the 2-byte length prefix and the libp2p payload.
/// </summary>
internal sealed class NoiseHandshakeState : IDisposable
{
    /// <summary>DHLEN for Curve25519.</summary>
    public const int DhLength = 32;

    /// <summary>The encrypted static key in messages 2 and 3: the key and its tag.</summary>
    public const int EncryptedStaticKeyLength = DhLength + NoiseCipherState.TagLength;

    /// <summary>Messages in the XX pattern.</summary>
    public const int MessageCount = 3;

    private readonly NoiseSymmetricState _symmetric;
    private readonly byte[] _staticPrivate = new byte[DhLength];
    private readonly byte[] _staticPublic = new byte[DhLength];
    private readonly byte[] _ephemeralPrivate = new byte[DhLength];
    private readonly byte[] _ephemeralPublic = new byte[DhLength];
    private readonly byte[] _remoteEphemeral = new byte[DhLength];
    private readonly byte[] _remoteStatic = new byte[DhLength];
    private bool _hasRemoteStatic;
    private int _messageIndex;

    /// <summary>
    /// Starts a handshake. Key material is generated from the OS CSPRNG unless given: the fixed static and
    /// ephemeral private keys and the prologue exist for the spec test vectors (libp2p uses an empty prologue and
    /// a fresh static key per connection).
    /// </summary>
    public NoiseHandshakeState(
        bool initiator,
        ReadOnlySpan<byte> prologue = default,
        ReadOnlySpan<byte> staticPrivateKey = default,
        ReadOnlySpan<byte> ephemeralPrivateKey = default)
    {
        IsInitiator = initiator;
        _symmetric = new NoiseSymmetricState("Noise_XX_25519_ChaChaPoly_SHA256"u8);
        _symmetric.MixHash(prologue);
        InitializeKey(staticPrivateKey, _staticPrivate, _staticPublic);
        InitializeKey(ephemeralPrivateKey, _ephemeralPrivate, _ephemeralPublic);
    }

    /// <summary>True for the party that sends the first message.</summary>
    public bool IsInitiator { get; }

    /// <summary>True once all three messages are written or read; then <see cref="Split"/> may be called.</summary>
    public bool IsComplete => _messageIndex == MessageCount;

    /// <summary>The index (0, 1, 2) of the next message.</summary>
    public int MessageIndex => _messageIndex;

    /// <summary>True when the next message is ours to write.</summary>
    public bool IsMyTurn => !IsComplete && (_messageIndex % 2 == 0) == IsInitiator;

    /// <summary>Our static X25519 public key, which the libp2p payload signature covers.</summary>
    public ReadOnlySpan<byte> LocalStaticPublicKey => _staticPublic;

    /// <summary>The peer's static X25519 public key, once the message carrying it has been read.</summary>
    public ReadOnlySpan<byte> RemoteStaticPublicKey =>
        _hasRemoteStatic ? _remoteStatic : throw new InvalidOperationException("The remote static key has not been received yet.");

    /// <summary>The handshake hash <c>h</c> (after the last message: the channel binding value).</summary>
    public ReadOnlySpan<byte> HandshakeHash => _symmetric.HandshakeHash;

    /// <summary>The length of message <paramref name="messageIndex"/> carrying <paramref name="payloadLength"/> payload bytes.</summary>
    public static int GetMessageLength(int messageIndex, int payloadLength) => messageIndex switch
    {
        0 => DhLength + payloadLength,
        1 => DhLength + EncryptedStaticKeyLength + payloadLength + NoiseCipherState.TagLength,
        2 => EncryptedStaticKeyLength + payloadLength + NoiseCipherState.TagLength,
        _ => throw new ArgumentOutOfRangeException(nameof(messageIndex)),
    };

    /// <summary>Writes the next message with <paramref name="payload"/> into <paramref name="message"/>; returns its length.</summary>
    /// <exception cref="InvalidOperationException">It is the peer's turn, or the handshake is complete.</exception>
    public int WriteMessage(ReadOnlySpan<byte> payload, Span<byte> message)
    {
        if (!IsMyTurn)
        {
            throw new InvalidOperationException("It is not this party's turn to write a Noise handshake message.");
        }

        var length = GetMessageLength(_messageIndex, payload.Length);
        if (message.Length < length)
        {
            throw new ArgumentException("The message buffer is too small.", nameof(message));
        }

        var offset = 0;
        switch (_messageIndex)
        {
            case 0:
                // -> e
                offset += WriteEphemeral(message);
                break;
            case 1:
                // <- e, ee, s, es
                offset += WriteEphemeral(message);
                MixDh(_ephemeralPrivate, _remoteEphemeral);
                offset += _symmetric.EncryptAndHash(_staticPublic, message[offset..]);
                MixDh(_staticPrivate, _remoteEphemeral);
                break;
            default:
                // -> s, se
                offset += _symmetric.EncryptAndHash(_staticPublic, message);
                MixDh(_staticPrivate, _remoteEphemeral);
                break;
        }

        offset += _symmetric.EncryptAndHash(payload, message[offset..]);
        _messageIndex++;
        return offset;
    }

    /// <summary>Reads the peer's next message and returns its decrypted payload.</summary>
    /// <exception cref="Libp2pProtocolException">The message is too short, fails to authenticate, or carries a
    /// low-order X25519 key.</exception>
    /// <exception cref="InvalidOperationException">It is our turn, or the handshake is complete.</exception>
    public byte[] ReadMessage(ReadOnlySpan<byte> message)
    {
        if (IsComplete || IsMyTurn)
        {
            throw new InvalidOperationException("It is not the peer's turn to send a Noise handshake message.");
        }

        var minimum = GetMessageLength(_messageIndex, 0);
        if (message.Length < minimum)
        {
            throw new Libp2pProtocolException(string.Format(
                CultureInfo.InvariantCulture,
                "Noise handshake message {0} is {1} bytes; it must be at least {2}.",
                _messageIndex + 1,
                message.Length,
                minimum));
        }

        var offset = 0;
        switch (_messageIndex)
        {
            case 0:
                // -> e
                offset += ReadEphemeral(message);
                break;
            case 1:
                // <- e, ee, s, es
                offset += ReadEphemeral(message);
                MixDh(_ephemeralPrivate, _remoteEphemeral);
                offset += ReadStatic(message.Slice(offset, EncryptedStaticKeyLength));
                MixDh(_ephemeralPrivate, _remoteStatic);
                break;
            default:
                // -> s, se
                offset += ReadStatic(message[..EncryptedStaticKeyLength]);
                MixDh(_ephemeralPrivate, _remoteStatic);
                break;
        }

        var ciphertext = message[offset..];
        var payload = new byte[ciphertext.Length - (_symmetric.HasKey ? NoiseCipherState.TagLength : 0)];
        if (!_symmetric.TryDecryptAndHash(ciphertext, payload))
        {
            throw new Libp2pProtocolException(string.Format(
                CultureInfo.InvariantCulture,
                "Noise handshake message {0}: the payload fails to decrypt (bad authentication tag).",
                _messageIndex + 1));
        }

        _messageIndex++;
        return payload;
    }

    /// <summary>
    /// <c>Split()</c> after the last message: the cipher this party sends with and the one it receives with
    /// (the initiator sends with the first key, §5.2).
    /// </summary>
    public (NoiseCipherState Send, NoiseCipherState Receive) Split()
    {
        if (!IsComplete)
        {
            throw new InvalidOperationException("The Noise handshake is not complete.");
        }

        var (first, second) = _symmetric.Split();
        return IsInitiator ? (first, second) : (second, first);
    }

    public void Dispose()
    {
        _symmetric.Dispose();
        CryptographicOperations.ZeroMemory(_staticPrivate);
        CryptographicOperations.ZeroMemory(_ephemeralPrivate);
    }

    private static void InitializeKey(ReadOnlySpan<byte> given, byte[] privateKey, byte[] publicKey)
    {
        if (given.IsEmpty)
        {
            // X25519 clamps the scalar itself (RFC 7748 §5), so any 32 random bytes are a private key.
            RandomNumberGenerator.Fill(privateKey);
        }
        else if (given.Length == DhLength)
        {
            given.CopyTo(privateKey);
        }
        else
        {
            throw new ArgumentException("An X25519 private key is 32 bytes.", nameof(given));
        }

        X25519.GeneratePublicKey(privateKey, publicKey);
    }

    private int WriteEphemeral(Span<byte> message)
    {
        _ephemeralPublic.CopyTo(message);
        _symmetric.MixHash(_ephemeralPublic);
        return DhLength;
    }

    private int ReadEphemeral(ReadOnlySpan<byte> message)
    {
        message[..DhLength].CopyTo(_remoteEphemeral);
        _symmetric.MixHash(_remoteEphemeral);
        return DhLength;
    }

    private int ReadStatic(ReadOnlySpan<byte> encrypted)
    {
        if (!_symmetric.TryDecryptAndHash(encrypted, _remoteStatic))
        {
            throw new Libp2pProtocolException(string.Format(
                CultureInfo.InvariantCulture,
                "Noise handshake message {0}: the static key fails to decrypt (bad authentication tag).",
                _messageIndex + 1));
        }

        _hasRemoteStatic = true;
        return EncryptedStaticKeyLength;
    }

    private void MixDh(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey)
    {
        Span<byte> shared = stackalloc byte[DhLength];
        try
        {
            // §12.1 allows rejecting an all-zero result: the peer sent a low-order point, which would make the
            // "secret" public. go-libp2p's X25519 rejects it too.
            if (!X25519.CalculateAgreement(privateKey, publicKey, shared))
            {
                throw new Libp2pProtocolException("The peer's X25519 public key is a low-order point (all-zero shared secret).");
            }

            _symmetric.MixKey(shared);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }
}
