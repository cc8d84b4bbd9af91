// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Network;

namespace KwaaiNet.Libp2p.Protocols;

/// <summary>
/// The bandwidth probe, <c>/kwaainet/bandwidth/1.0.0</c>: the dialer writes an unsigned varint byte count N
/// (1 ≤ N ≤ <see cref="MaxByteCount"/>), the listener writes N bytes and closes its write side, and the dialer
/// measures how long they took. The node's download rate replaces upstream KwaaiNet's HTTP download of 1 MiB from a
/// speed-test site (<c>throughput.rs</c>): it is measured against a peer over libp2p instead.
/// </summary>
/// <remarks>
/// A count out of range, a malformed varint, or no request within <see cref="RequestTimeout"/> resets the stream with
/// no data. At most <see cref="MaxConcurrentStreams"/> downloads are served at once per host; more are reset.
/// </remarks>
public static class BandwidthService
{
    /// <summary>The protocol id.</summary>
    public const string ProtocolId = "/kwaainet/bandwidth/1.0.0";

    /// <summary>The most bytes one request may ask for: 16 MiB.</summary>
    public const int MaxByteCount = 16 * 1024 * 1024;

    /// <summary>The download a node measures with: 1 MiB, as upstream KwaaiNet downloads (<c>throughput.rs</c>).</summary>
    public const int DefaultByteCount = 1024 * 1024;

    /// <summary>The downloads served at once per host.</summary>
    public const int MaxConcurrentStreams = 4;

    /// <summary>How long the listener waits for the request.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long the listener takes at most to write one answer.</summary>
    public static readonly TimeSpan ServeTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The longest encoding of a count up to <see cref="MaxByteCount"/> (2^24 needs 4 varint bytes).</summary>
    private const int MaxRequestLength = 4;

    private const int ChunkSize = 64 * 1024;

    private static readonly byte[] Zeros = new byte[ChunkSize];

    /// <summary>Answers bandwidth requests on <paramref name="host"/>.</summary>
    public static void Register(Libp2pHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var slots = new SemaphoreSlim(MaxConcurrentStreams, MaxConcurrentStreams);
        host.Protocols.Add(ProtocolId, (stream, cancellationToken) => ServeAsync(stream, slots, cancellationToken));
    }

    /// <summary>
    /// Downloads <paramref name="byteCount"/> bytes from <paramref name="peer"/> (connecting when needed) and returns
    /// how long they took. Bound the call with <paramref name="cancellationToken"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="byteCount"/> is not 1 to <see cref="MaxByteCount"/>.</exception>
    /// <exception cref="Libp2pProtocolException">The peer sent fewer or more bytes than asked for, or reset the stream.</exception>
    public static async Task<BandwidthSample> MeasureAsync(Libp2pHost host, PeerId peer, int byteCount, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentOutOfRangeException.ThrowIfLessThan(byteCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(byteCount, MaxByteCount);
        await using var stream = await host.OpenStreamAsync(peer, [ProtocolId], cancellationToken).ConfigureAwait(false);
        var request = new byte[MaxRequestLength];
        UVarint.TryWrite(request, (ulong)byteCount, out var length);
        var buffer = new byte[ChunkSize];
        var started = Stopwatch.GetTimestamp();
        await stream.Stream.WriteAsync(request.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        await stream.Stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        await stream.CompleteWritesAsync().ConfigureAwait(false);
        long received = 0;
        try
        {
            while (received < byteCount)
            {
                var read = await stream.Stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, byteCount - received)), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new Libp2pProtocolException("Peer " + peer + " sent " + received + " of the " + byteCount + " bytes asked for.");
                }

                received += read;
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            if (await stream.Stream.ReadAsync(buffer.AsMemory(0, 1), cancellationToken).ConfigureAwait(false) != 0)
            {
                throw new Libp2pProtocolException("Peer " + peer + " sent more than the " + byteCount + " bytes asked for.");
            }

            return new BandwidthSample(received, elapsed);
        }
        catch (IOException ex)
        {
            throw new Libp2pProtocolException("Peer " + peer + " ended the bandwidth stream after " + received + " bytes: " + ex.Message, ex);
        }
    }

    private static async Task ServeAsync(PeerStream stream, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        if (!await slots.WaitAsync(TimeSpan.Zero, cancellationToken).ConfigureAwait(false))
        {
            throw new Libp2pProtocolException("Busy: " + MaxConcurrentStreams + " bandwidth downloads are being served.");
        }

        try
        {
            int count;
            using (var requestTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                requestTimeout.CancelAfter(RequestTimeout);
                count = await ReadRequestAsync(stream.Stream, requestTimeout.Token).ConfigureAwait(false);
            }

            using var serveTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            serveTimeout.CancelAfter(ServeTimeout);
            for (var left = count; left > 0; left -= ChunkSize)
            {
                await stream.Stream.WriteAsync(Zeros.AsMemory(0, Math.Min(ChunkSize, left)), serveTimeout.Token).ConfigureAwait(false);
            }

            await stream.Stream.FlushAsync(serveTimeout.Token).ConfigureAwait(false);
            await stream.CompleteWritesAsync().ConfigureAwait(false);
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>Reads the requested count: a minimal unsigned varint from 1 to <see cref="MaxByteCount"/>.</summary>
    private static async Task<int> ReadRequestAsync(Stream stream, CancellationToken cancellationToken)
    {
        var request = new byte[MaxRequestLength];
        for (var length = 0; length < MaxRequestLength; length++)
        {
            if (await stream.ReadAsync(request.AsMemory(length, 1), cancellationToken).ConfigureAwait(false) == 0)
            {
                throw new Libp2pProtocolException("The bandwidth request ended after " + length + " bytes, before its byte count.");
            }

            if ((request[length] & 0x80) != 0)
            {
                continue;
            }

            if (!UVarint.TryRead(request.AsSpan(0, length + 1), out var count, out _))
            {
                throw new Libp2pProtocolException("The bandwidth request's byte count is not a minimal varint.");
            }

            return count is >= 1 and <= MaxByteCount
                ? (int)count
                : throw new Libp2pProtocolException("The bandwidth request asks for " + count + " bytes; 1 to " + MaxByteCount + " may be asked for.");
        }

        throw new Libp2pProtocolException("The bandwidth request's byte count is longer than " + MaxRequestLength + " bytes.");
    }
}
