// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Binary;
using System.Globalization;
using Google.Protobuf;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Noise.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KwaaiNet.Libp2p.Noise;

/// <summary>
/// The libp2p <c>/noise</c> security handshake (libp2p specs noise/README.md): <c>Noise_XX_25519_ChaChaPoly_SHA256</c>
/// with an empty prologue, a fresh X25519 static key per connection, and a payload in messages 2 and 3 that binds
/// that static key to the sender's libp2p identity key. Call it after multistream-select agreed on
/// <see cref="ProtocolId"/>. No extensions are sent, so both sides negotiate the muxer with multistream-select next
/// (connections/inlined-muxer-negotiation.md applies only when both peers list muxers).
/// </summary>
/// <remarks>
/// On failure the methods throw and leave <c>transport</c> open; the caller closes it. On success the returned
/// <see cref="SecureChannel"/> owns the transport.
/// </remarks>
public static class NoiseSecurity
{
    /// <summary>The multistream-select protocol id.</summary>
    public const string ProtocolId = "/noise";

    private const int FrameHeaderLength = NoiseTransportCipher.FrameHeaderLength;

    /// <summary>What the identity key signs, followed by the 32-byte Noise static public key (§Static Key Authentication).</summary>
    private static ReadOnlySpan<byte> StaticKeySignaturePrefix => "noise-libp2p-static-key:"u8;

    /// <summary>Secures an outbound connection as the Noise initiator.</summary>
    /// <param name="transport">The raw connection, right after <c>/noise</c> was agreed.</param>
    /// <param name="local">Our identity, which signs our static key.</param>
    /// <param name="expectedRemote">The peer id dialed (from <c>/p2p/...</c>), or null to accept any peer.</param>
    /// <param name="cancellationToken">Cancels the handshake (use it for a handshake timeout).</param>
    /// <exception cref="NoisePeerIdMismatchException">The remote authenticated as another peer than <paramref name="expectedRemote"/>.</exception>
    /// <exception cref="Libp2pProtocolException">The remote broke the handshake; the message says how.</exception>
    public static Task<SecureChannel> SecureOutboundAsync(
        Stream transport, NodeIdentity local, PeerId? expectedRemote, CancellationToken cancellationToken) =>
        SecureOutboundAsync(transport, local, expectedRemote, NullLogger.Instance, cancellationToken);

    /// <summary>Secures an outbound connection as the Noise initiator, logging the outcome to <paramref name="logger"/>.</summary>
    /// <inheritdoc cref="SecureOutboundAsync(Stream, NodeIdentity, PeerId?, CancellationToken)"/>
    public static async Task<SecureChannel> SecureOutboundAsync(
        Stream transport, NodeIdentity local, PeerId? expectedRemote, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(logger);
        using var handshake = new NoiseHandshakeState(initiator: true);
        try
        {
            // -> e (empty payload: it would travel in the clear)
            await WriteMessageAsync(transport, handshake, [], cancellationToken).ConfigureAwait(false);

            // <- e, ee, s, es + the responder's signed payload
            var payload = handshake.ReadMessage(await ReadMessageAsync(transport, 2, cancellationToken).ConfigureAwait(false));
            var (remoteKey, remotePeerId) = VerifyPayload(payload, handshake.RemoteStaticPublicKey, "responder");

            // Checked before message 3, so that a wrong peer never learns our identity.
            if (expectedRemote is not null && expectedRemote != remotePeerId)
            {
                logger.NoisePeerIdMismatch(expectedRemote, remotePeerId);
                throw new NoisePeerIdMismatchException(expectedRemote, remotePeerId);
            }

            // -> s, se + our signed payload
            await WriteMessageAsync(transport, handshake, CreatePayload(local, handshake.LocalStaticPublicKey), cancellationToken)
                .ConfigureAwait(false);

            return Complete(transport, handshake, remoteKey, remotePeerId, logger);
        }
        catch (Libp2pProtocolException ex) when (ex is not NoisePeerIdMismatchException)
        {
            logger.NoiseHandshakeFailed("initiator", ex.Message);
            throw;
        }
    }

    /// <summary>Secures an inbound connection as the Noise responder.</summary>
    /// <param name="transport">The raw connection, right after <c>/noise</c> was agreed.</param>
    /// <param name="local">Our identity, which signs our static key.</param>
    /// <param name="cancellationToken">Cancels the handshake (use it for a handshake timeout).</param>
    /// <exception cref="Libp2pProtocolException">The remote broke the handshake; the message says how.</exception>
    public static Task<SecureChannel> SecureInboundAsync(Stream transport, NodeIdentity local, CancellationToken cancellationToken) =>
        SecureInboundAsync(transport, local, NullLogger.Instance, cancellationToken);

    /// <summary>Secures an inbound connection as the Noise responder, logging the outcome to <paramref name="logger"/>.</summary>
    /// <inheritdoc cref="SecureInboundAsync(Stream, NodeIdentity, CancellationToken)"/>
    public static async Task<SecureChannel> SecureInboundAsync(
        Stream transport, NodeIdentity local, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(logger);
        using var handshake = new NoiseHandshakeState(initiator: false);
        try
        {
            // -> e. A payload here would be unauthenticated cleartext; libp2p sends none and we ignore any.
            handshake.ReadMessage(await ReadMessageAsync(transport, 1, cancellationToken).ConfigureAwait(false));

            // <- e, ee, s, es + our signed payload
            await WriteMessageAsync(transport, handshake, CreatePayload(local, handshake.LocalStaticPublicKey), cancellationToken)
                .ConfigureAwait(false);

            // -> s, se + the initiator's signed payload
            var payload = handshake.ReadMessage(await ReadMessageAsync(transport, 3, cancellationToken).ConfigureAwait(false));
            var (remoteKey, remotePeerId) = VerifyPayload(payload, handshake.RemoteStaticPublicKey, "initiator");
            return Complete(transport, handshake, remoteKey, remotePeerId, logger);
        }
        catch (Libp2pProtocolException ex)
        {
            logger.NoiseHandshakeFailed("responder", ex.Message);
            throw;
        }
    }

    /// <summary>
    /// The handshake payload that binds <paramref name="staticPublicKey"/> to <paramref name="identity"/>:
    /// <c>identity_key</c> and <c>identity_sig = Sign("noise-libp2p-static-key:" ‖ static key)</c>, no extensions.
    /// </summary>
    internal static byte[] CreatePayload(NodeIdentity identity, ReadOnlySpan<byte> staticPublicKey)
    {
        var payload = new NoiseHandshakePayload
        {
            IdentityKey = ByteString.CopyFrom(identity.PublicKeyProtobuf.Span),
            IdentitySig = ByteString.CopyFrom(identity.Sign(SignedStaticKey(staticPublicKey))),
        };
        return payload.ToByteArray();
    }

    /// <summary>
    /// Decodes a peer's handshake payload and checks that its identity key signed <paramref name="remoteStaticKey"/>.
    /// </summary>
    /// <exception cref="Libp2pProtocolException">The payload is malformed, incomplete, or its signature is bad.</exception>
    internal static (PublicKey Key, PeerId PeerId) VerifyPayload(byte[] payloadBytes, ReadOnlySpan<byte> remoteStaticKey, string sender)
    {
        NoiseHandshakePayload payload;
        try
        {
            payload = NoiseHandshakePayload.Parser.ParseFrom(payloadBytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new Libp2pProtocolException(
                "The Noise " + sender + "'s handshake payload is not a valid NoiseHandshakePayload: " + ex.Message, ex);
        }

        if (!payload.HasIdentityKey || payload.IdentityKey.IsEmpty)
        {
            throw new Libp2pProtocolException("The Noise " + sender + "'s handshake payload has no identity_key.");
        }

        if (!payload.HasIdentitySig || payload.IdentitySig.IsEmpty)
        {
            throw new Libp2pProtocolException("The Noise " + sender + "'s handshake payload has no identity_sig.");
        }

        if (!PublicKey.TryFromProtobuf(payload.IdentityKey.Span, out var key, out var error))
        {
            throw new Libp2pProtocolException(
                "The Noise " + sender + "'s identity_key is not a valid libp2p public key: " + error + ".");
        }

        if (!NodeIdentity.Verify(key, SignedStaticKey(remoteStaticKey), payload.IdentitySig.Span))
        {
            throw new Libp2pProtocolException(
                "The Noise " + sender + "'s identity_sig does not verify: its " + key.Type
                + " identity key did not sign this connection's Noise static key (or the key type is unsupported).");
        }

        return (key, PeerId.FromPublicKey(key));
    }

    private static byte[] SignedStaticKey(ReadOnlySpan<byte> staticPublicKey)
    {
        var data = new byte[StaticKeySignaturePrefix.Length + staticPublicKey.Length];
        StaticKeySignaturePrefix.CopyTo(data);
        staticPublicKey.CopyTo(data.AsSpan(StaticKeySignaturePrefix.Length));
        return data;
    }

    private static SecureChannel Complete(
        Stream transport, NoiseHandshakeState handshake, PublicKey remoteKey, PeerId remotePeerId, ILogger logger)
    {
        var (send, receive) = handshake.Split();
        var stream = new NoiseStream(transport, new NoiseTransportCipher(send), new NoiseTransportCipher(receive));
        logger.NoiseHandshakeCompleted(handshake.IsInitiator ? "initiator" : "responder", remotePeerId, remoteKey.Type);
        return new SecureChannel(stream, remoteKey, remotePeerId);
    }

    private static async Task WriteMessageAsync(
        Stream transport, NoiseHandshakeState handshake, byte[] payload, CancellationToken cancellationToken)
    {
        var length = NoiseHandshakeState.GetMessageLength(handshake.MessageIndex, payload.Length);
        if (length > NoiseTransportCipher.MaxMessageLength)
        {
            throw new InvalidOperationException("The Noise handshake payload does not fit one 65535-byte message.");
        }

        var frame = new byte[FrameHeaderLength + length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)length);
        handshake.WriteMessage(payload, frame.AsSpan(FrameHeaderLength));
        await transport.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        await transport.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<byte[]> ReadMessageAsync(Stream transport, int messageNumber, CancellationToken cancellationToken)
    {
        var header = new byte[FrameHeaderLength];
        await ReadExactlyAsync(transport, header, messageNumber, cancellationToken).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadUInt16BigEndian(header);
        var minimum = NoiseHandshakeState.GetMessageLength(messageNumber - 1, 0);
        if (length < minimum)
        {
            // Rejected before reading the body, so a short length cannot make us wait for bytes never sent.
            throw new Libp2pProtocolException(string.Format(
                CultureInfo.InvariantCulture,
                "Noise handshake message {0} is {1} bytes; it must be at least {2}.",
                messageNumber,
                length,
                minimum));
        }

        var message = new byte[length];
        await ReadExactlyAsync(transport, message, messageNumber, cancellationToken).ConfigureAwait(false);
        return message;
    }

    private static async Task ReadExactlyAsync(Stream transport, Memory<byte> buffer, int messageNumber, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await transport.ReadAsync(buffer[total..], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new Libp2pProtocolException(string.Format(
                    CultureInfo.InvariantCulture,
                    "The connection ended during Noise handshake message {0}.",
                    messageNumber));
            }

            total += read;
        }
    }
}
