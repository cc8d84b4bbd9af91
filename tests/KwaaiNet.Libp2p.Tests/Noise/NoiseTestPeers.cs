// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Noise;
using KwaaiNet.Testing;

namespace KwaaiNet.Libp2p.Tests.Noise;

/// <summary>Identities, timeouts and raw framing shared by the Noise tests.</summary>
internal static class NoiseTestPeers
{
    private static readonly Lazy<NodeIdentity> LazyRsa = new(() =>
    {
        using var rsa = RSA.Create(2048);
        return NodeIdentity.FromPrivateKey(new PrivateKey(KeyType.Rsa, rsa.ExportRSAPrivateKey()));
    });

    public static NodeIdentity Rsa => LazyRsa.Value;

    public static NodeIdentity Create(KeyType type) => type == KeyType.Rsa ? Rsa : NodeIdentity.GenerateEd25519();

    /// <summary>The test's token, cancelled after 30 seconds so that a bug cannot hang the run.</summary>
    public static CancellationTokenSource Timeout()
    {
        return TestTimeout.Start();
    }

    /// <summary>Runs both sides of the handshake over the pair.</summary>
    public static async Task<(SecureChannel Client, SecureChannel Server)> HandshakeAsync(
        Stream client, Stream server, NodeIdentity dialer, NodeIdentity listener, PeerId? expected, CancellationToken cancellationToken)
    {
        var inbound = NoiseSecurity.SecureInboundAsync(server, listener, cancellationToken);
        var outbound = NoiseSecurity.SecureOutboundAsync(client, dialer, expected, cancellationToken);
        return (await outbound, await inbound);
    }

    /// <summary>Writes raw bytes and closes the sending direction, as a misbehaving peer that then goes quiet.</summary>
    public static async Task SendAndShutdownAsync(LoopbackSockets sockets, bool fromClient, byte[] bytes, CancellationToken cancellationToken)
    {
        var stream = fromClient ? sockets.Client : sockets.Server;
        await stream.WriteAsync(bytes, cancellationToken);
        (fromClient ? sockets.ClientSocket : sockets.ServerSocket).Shutdown(SocketShutdown.Send);
    }

    public static byte[] Frame(ReadOnlySpan<byte> message)
    {
        var frame = new byte[2 + message.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)message.Length);
        message.CopyTo(frame.AsSpan(2));
        return frame;
    }

    public static async Task<byte[]> ReadFrameAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[2];
        await stream.ReadExactlyAsync(header, cancellationToken);
        var message = new byte[BinaryPrimitives.ReadUInt16BigEndian(header)];
        await stream.ReadExactlyAsync(message, cancellationToken);
        return message;
    }
}
