// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using System.Security.Cryptography;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Network;

namespace KwaaiNet.Libp2p.Protocols;

/// <summary>Ping (libp2p/specs ping/ping.md): 32 random bytes echoed back; the dialer measures the round trip.</summary>
public static class PingService
{
    /// <summary>The ping protocol id.</summary>
    public const string ProtocolId = "/ipfs/ping/1.0.0";

    /// <summary>The payload size.</summary>
    public const int PayloadSize = 32;

    /// <summary>Answers pings on <paramref name="host"/>.</summary>
    public static void Register(Libp2pHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        host.Protocols.Add(ProtocolId, ServeAsync);
    }

    /// <summary>Pings <paramref name="peer"/> once (connecting when needed) and returns the round trip time.</summary>
    /// <exception cref="Libp2pProtocolException">The peer echoed other bytes or closed the stream.</exception>
    public static async Task<TimeSpan> PingAsync(Libp2pHost host, PeerId peer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        await using var stream = await host.OpenStreamAsync(peer, [ProtocolId], cancellationToken).ConfigureAwait(false);
        var payload = RandomNumberGenerator.GetBytes(PayloadSize);
        var echo = new byte[PayloadSize];
        var started = Stopwatch.GetTimestamp();
        await stream.Stream.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
        var read = await stream.Stream.ReadAtLeastAsync(echo, PayloadSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        await stream.CompleteWritesAsync().ConfigureAwait(false);
        if (read < PayloadSize || !payload.AsSpan().SequenceEqual(echo))
        {
            throw new Libp2pProtocolException("Peer " + peer + " did not echo the ping payload.");
        }

        return elapsed;
    }

    private static async Task ServeAsync(PeerStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[PayloadSize];
        while (true)
        {
            var read = await stream.Stream.ReadAtLeastAsync(buffer, PayloadSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                await stream.CompleteWritesAsync().ConfigureAwait(false);
                return;
            }

            if (read < PayloadSize)
            {
                throw new Libp2pProtocolException("A ping payload of " + read + " bytes instead of " + PayloadSize + ".");
            }

            await stream.Stream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
    }
}
