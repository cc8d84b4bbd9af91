// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Noise;
using KwaaiNet.Libp2p.Noise.Wire;
using KwaaiNet.Testing;

namespace KwaaiNet.Libp2p.Tests.Noise;

public sealed class NoiseSecurityTests
{
    [Theory]
    [InlineData(KeyType.Ed25519, KeyType.Ed25519)]
    [InlineData(KeyType.Rsa, KeyType.Ed25519)]
    [InlineData(KeyType.Ed25519, KeyType.Rsa)]
    public async Task Handshake_TwoIdentities_BothSidesAuthenticateTheOther(KeyType dialerType, KeyType listenerType)
    {
        using var timeout = NoiseTestPeers.Timeout();
        var dialer = NoiseTestPeers.Create(dialerType);
        var listener = NoiseTestPeers.Create(listenerType);
        await using var sockets = await LoopbackSockets.CreateAsync(timeout.Token);

        var (client, server) = await NoiseTestPeers.HandshakeAsync(
            sockets.Client, sockets.Server, dialer, listener, listener.PeerId, timeout.Token);
        await using (client)
        await using (server)
        {
            Assert.Equal(listener.PeerId, client.RemotePeerId);
            Assert.Equal(listener.PublicKey, client.RemotePublicKey);
            Assert.Equal(dialer.PeerId, server.RemotePeerId);
            Assert.Equal(dialer.PublicKey, server.RemotePublicKey);

            // The transport keys agree: one message each way.
            await client.Stream.WriteAsync("ping"u8.ToArray(), timeout.Token);
            var received = new byte[4];
            await server.Stream.ReadExactlyAsync(received, timeout.Token);
            Assert.Equal("ping"u8.ToArray(), received);
            await server.Stream.WriteAsync("pong"u8.ToArray(), timeout.Token);
            await client.Stream.ReadExactlyAsync(received, timeout.Token);
            Assert.Equal("pong"u8.ToArray(), received);
        }
    }

    [Fact]
    public async Task SecureOutbound_UnexpectedPeerId_FailsNamingBothIds()
    {
        using var timeout = NoiseTestPeers.Timeout();
        var dialer = NodeIdentity.GenerateEd25519();
        var listener = NodeIdentity.GenerateEd25519();
        var expected = NodeIdentity.GenerateEd25519().PeerId;
        await using var sockets = await LoopbackSockets.CreateAsync(timeout.Token);

        var inbound = NoiseSecurity.SecureInboundAsync(sockets.Server, listener, timeout.Token);
        var ex = await Assert.ThrowsAsync<NoisePeerIdMismatchException>(
            () => NoiseSecurity.SecureOutboundAsync(sockets.Client, dialer, expected, timeout.Token));

        Assert.Equal(expected, ex.Expected);
        Assert.Equal(listener.PeerId, ex.Actual);
        Assert.Contains(expected.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.Contains(listener.PeerId.ToString(), ex.Message, StringComparison.Ordinal);

        // The dialer never sent message 3; the listener sees the connection end.
        sockets.ClientSocket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        await Assert.ThrowsAsync<Libp2pProtocolException>(() => inbound);
    }

    [Theory]
    [InlineData("bad-signature", "identity_sig does not verify")]
    [InlineData("foreign-signer", "identity_sig does not verify")]
    [InlineData("signature-over-other-key", "identity_sig does not verify")]
    [InlineData("no-key", "no identity_key")]
    [InlineData("no-signature", "no identity_sig")]
    [InlineData("undecodable-key", "not a valid libp2p public key")]
    [InlineData("garbage-protobuf", "not a valid NoiseHandshakePayload")]
    public async Task SecureOutbound_ResponderPayloadInvalid_FailsWithReason(string tamper, string reason)
    {
        using var timeout = NoiseTestPeers.Timeout();
        await using var sockets = await LoopbackSockets.CreateAsync(timeout.Token);
        var dial = NoiseSecurity.SecureOutboundAsync(sockets.Client, NodeIdentity.GenerateEd25519(), null, timeout.Token);

        // A responder written by hand on the state machine, sending the chosen bad payload.
        using var responder = new NoiseHandshakeState(initiator: false);
        responder.ReadMessage(await NoiseTestPeers.ReadFrameAsync(sockets.Server, timeout.Token));
        var payload = CreateBadPayload(tamper, responder.LocalStaticPublicKey);
        var message = new byte[NoiseHandshakeState.GetMessageLength(1, payload.Length)];
        responder.WriteMessage(payload, message);
        await sockets.Server.WriteAsync(NoiseTestPeers.Frame(message), timeout.Token);

        var ex = await Assert.ThrowsAsync<Libp2pProtocolException>(() => dial);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.Contains("responder", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecureInbound_InitiatorSignatureBad_FailsWithReason()
    {
        using var timeout = NoiseTestPeers.Timeout();
        await using var sockets = await LoopbackSockets.CreateAsync(timeout.Token);
        var accept = NoiseSecurity.SecureInboundAsync(sockets.Server, NodeIdentity.GenerateEd25519(), timeout.Token);

        using var initiator = new NoiseHandshakeState(initiator: true);
        var message1 = new byte[32];
        initiator.WriteMessage([], message1);
        await sockets.Client.WriteAsync(NoiseTestPeers.Frame(message1), timeout.Token);
        initiator.ReadMessage(await NoiseTestPeers.ReadFrameAsync(sockets.Client, timeout.Token));
        var payload = CreateBadPayload("bad-signature", initiator.LocalStaticPublicKey);
        var message3 = new byte[NoiseHandshakeState.GetMessageLength(2, payload.Length)];
        initiator.WriteMessage(payload, message3);
        await sockets.Client.WriteAsync(NoiseTestPeers.Frame(message3), timeout.Token);

        var ex = await Assert.ThrowsAsync<Libp2pProtocolException>(() => accept);
        Assert.Contains("initiator's identity_sig does not verify", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "ended during Noise handshake message 1")]
    [InlineData("00", "ended during Noise handshake message 1")]
    [InlineData("0000", "must be at least 32")]
    [InlineData("001f00000000000000000000000000000000000000000000000000000000000000", "must be at least 32")]
    [InlineData("00200102030405060708090a", "ended during Noise handshake message 1")]
    [InlineData("00200000000000000000000000000000000000000000000000000000000000000000", "low-order")]
    public async Task SecureInbound_BadFirstMessage_ThrowsProtocolException(string hex, string reason)
    {
        using var timeout = NoiseTestPeers.Timeout();
        await using var sockets = await LoopbackSockets.CreateAsync(timeout.Token);
        var accept = NoiseSecurity.SecureInboundAsync(sockets.Server, NodeIdentity.GenerateEd25519(), timeout.Token);

        await NoiseTestPeers.SendAndShutdownAsync(sockets, fromClient: true, Convert.FromHexString(hex), timeout.Token);

        var ex = await Assert.ThrowsAsync<Libp2pProtocolException>(() => accept);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 0, "must be at least 96")]
    [InlineData(95, 95, "must be at least 96")]
    [InlineData(96, 96, "static key fails to decrypt")]
    [InlineData(65535, 65535, "static key fails to decrypt")]
    [InlineData(256, 10, "ended during Noise handshake message 2")]
    public async Task SecureOutbound_BadSecondMessage_ThrowsProtocolException(int declaredLength, int sentLength, string reason)
    {
        using var timeout = NoiseTestPeers.Timeout();
        await using var sockets = await LoopbackSockets.CreateAsync(timeout.Token);
        var dial = NoiseSecurity.SecureOutboundAsync(sockets.Client, NodeIdentity.GenerateEd25519(), null, timeout.Token);
        await NoiseTestPeers.ReadFrameAsync(sockets.Server, timeout.Token);

        var bytes = new byte[2 + sentLength];
        bytes[0] = (byte)(declaredLength >> 8);
        bytes[1] = (byte)declaredLength;
        new Random(7).NextBytes(bytes.AsSpan(2));
        await NoiseTestPeers.SendAndShutdownAsync(sockets, fromClient: false, bytes, timeout.Token);

        var ex = await Assert.ThrowsAsync<Libp2pProtocolException>(() => dial);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2 + 5)] // the responder's ephemeral key
    [InlineData(2 + 32 + 5)] // its encrypted static key
    [InlineData(2 + 32 + 48 + 5)] // its encrypted payload
    [InlineData(2 + 32 + 48 + 104 + 3)] // the payload's tag
    public async Task SecureOutbound_FlippedBitInSecondMessage_ThrowsProtocolException(int offset)
    {
        using var timeout = NoiseTestPeers.Timeout();
        await using var sockets = await LoopbackSockets.CreateAsync(timeout.Token);
        var tampering = new TamperingStream(sockets.Server);
        tampering.Arm(offset);

        var accept = NoiseSecurity.SecureInboundAsync(tampering, NodeIdentity.GenerateEd25519(), timeout.Token);
        var ex = await Assert.ThrowsAsync<Libp2pProtocolException>(
            () => NoiseSecurity.SecureOutboundAsync(sockets.Client, NodeIdentity.GenerateEd25519(), null, timeout.Token));
        Assert.Contains("fails to decrypt", ex.Message, StringComparison.Ordinal);

        sockets.ClientSocket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        await Assert.ThrowsAsync<Libp2pProtocolException>(() => accept);
    }

    [Theory]
    [InlineData(34 + 2 + 5)] // the initiator's encrypted static key
    [InlineData(34 + 2 + 48 + 5)] // its encrypted payload
    public async Task SecureInbound_FlippedBitInThirdMessage_ThrowsProtocolException(int offset)
    {
        using var timeout = NoiseTestPeers.Timeout();
        await using var sockets = await LoopbackSockets.CreateAsync(timeout.Token);
        var tampering = new TamperingStream(sockets.Client);
        tampering.Arm(offset);

        var accept = NoiseSecurity.SecureInboundAsync(sockets.Server, NodeIdentity.GenerateEd25519(), timeout.Token);
        await using var client = await NoiseSecurity.SecureOutboundAsync(tampering, NodeIdentity.GenerateEd25519(), null, timeout.Token);

        var ex = await Assert.ThrowsAsync<Libp2pProtocolException>(() => accept);
        Assert.Contains("message 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecureInbound_RandomBytesFuzz_AlwaysProtocolException()
    {
        var random = new Random(20260501);
        for (var iteration = 0; iteration < 150; iteration++)
        {
            using var timeout = NoiseTestPeers.Timeout();
            await using var sockets = await LoopbackSockets.CreateAsync(timeout.Token);
            var accept = NoiseSecurity.SecureInboundAsync(sockets.Server, NodeIdentity.GenerateEd25519(), timeout.Token);
            await NoiseTestPeers.SendAndShutdownAsync(sockets, fromClient: true, RandomHandshakeBytes(random, iteration), timeout.Token);

            await Assert.ThrowsAsync<Libp2pProtocolException>(() => accept);
        }
    }

    [Fact]
    public async Task SecureOutbound_RandomBytesFuzz_AlwaysProtocolException()
    {
        var random = new Random(20260502);
        for (var iteration = 0; iteration < 150; iteration++)
        {
            using var timeout = NoiseTestPeers.Timeout();
            await using var sockets = await LoopbackSockets.CreateAsync(timeout.Token);
            var dial = NoiseSecurity.SecureOutboundAsync(sockets.Client, NodeIdentity.GenerateEd25519(), null, timeout.Token);
            await NoiseTestPeers.ReadFrameAsync(sockets.Server, timeout.Token);
            await NoiseTestPeers.SendAndShutdownAsync(sockets, fromClient: false, RandomHandshakeBytes(random, iteration), timeout.Token);

            await Assert.ThrowsAsync<Libp2pProtocolException>(() => dial);
        }
    }

    // Odd iterations: raw noise. Even ones: one to three frames with consistent length prefixes and random
    // contents, so that the reader gets past the framing into the key exchange and the decryption.
    private static byte[] RandomHandshakeBytes(Random random, int iteration)
    {
        if (iteration % 2 == 1)
        {
            var raw = new byte[random.Next(0, 400)];
            random.NextBytes(raw);
            return raw;
        }

        using var bytes = new MemoryStream();
        var frames = random.Next(1, 4);
        for (var i = 0; i < frames; i++)
        {
            var message = new byte[random.Next(0, 300)];
            random.NextBytes(message);
            bytes.Write(NoiseTestPeers.Frame(message));
        }

        return bytes.ToArray();
    }

    private static byte[] CreateBadPayload(string tamper, ReadOnlySpan<byte> staticPublicKey)
    {
        var identity = NodeIdentity.GenerateEd25519();
        var signed = "noise-libp2p-static-key:"u8.ToArray().Concat(staticPublicKey.ToArray()).ToArray();
        var payload = new NoiseHandshakePayload
        {
            IdentityKey = ByteString.CopyFrom(identity.PublicKeyProtobuf.Span),
            IdentitySig = ByteString.CopyFrom(identity.Sign(signed)),
        };
        switch (tamper)
        {
            case "bad-signature":
                var signature = identity.Sign(signed);
                signature[10] ^= 0x04;
                payload.IdentitySig = ByteString.CopyFrom(signature);
                break;
            case "foreign-signer":
                payload.IdentitySig = ByteString.CopyFrom(NodeIdentity.GenerateEd25519().Sign(signed));
                break;
            case "signature-over-other-key":
                signed[^1] ^= 0x01;
                payload.IdentitySig = ByteString.CopyFrom(identity.Sign(signed));
                break;
            case "no-key":
                payload.ClearIdentityKey();
                break;
            case "no-signature":
                payload.ClearIdentitySig();
                break;
            case "undecodable-key":
                payload.IdentityKey = ByteString.CopyFrom(0x08, 0x01, 0x12, 0x05, 1, 2, 3, 4, 5);
                break;
            case "garbage-protobuf":
                return [0xff, 0xff, 0xff, 0xff, 0xff];
            default:
                throw new ArgumentOutOfRangeException(nameof(tamper));
        }

        return payload.ToByteArray();
    }
}
