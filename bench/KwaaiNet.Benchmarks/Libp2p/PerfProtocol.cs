// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Binary;
using KwaaiNet.Libp2p;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Network;

namespace KwaaiNet.Benchmarks.Libp2p;

/// <summary>
/// The libp2p perf protocol (<c>/perf/1.0.0</c>, libp2p specs perf/perf.md) for our host: the client sends an 8-byte
/// big-endian u64 (the bytes it wants back), then its upload, and closes its write side; the server drains the upload
/// to the end, sends the requested bytes and closes. Writes use <see cref="WriteSize"/> chunks, as an application
/// streaming a large body would; js-libp2p's perf uses 64 KiB.
/// </summary>
internal static class PerfProtocol
{
    public const string Id = "/perf/1.0.0";

    /// <summary>The application's write size: 16 full yamux frames' worth, so no write ends in a runt frame.</summary>
    public const int WriteSize = 16 * 65507;

    // A benchmark server still bounds what a peer may ask for.
    private const long MaxDownload = 64L * 1024 * 1024 * 1024;

    // Shared by every transfer so that the allocation figures count the stack, not the benchmark: the bytes
    // written are zeros, and what is read into the scratch buffer is only counted (concurrent readers may share it).
    private static readonly byte[] Zeros = new byte[WriteSize];
    private static readonly byte[] Scratch = new byte[256 * 1024];

    /// <summary>Serves <c>/perf/1.0.0</c> on <paramref name="host"/>.</summary>
    public static void Register(Libp2pHost host) => host.Protocols.Add(Id, ServeAsync);

    /// <summary>
    /// Runs one perf exchange with <paramref name="peer"/>; returns the seconds from the header's write to the last
    /// byte (the stream's open and negotiation excluded, as js-libp2p's perf client times it).
    /// </summary>
    public static async Task<double> RunClientAsync(Libp2pHost host, PeerId peer, long upload, long download, CancellationToken cancellationToken)
    {
        await using var stream = await host.OpenStreamAsync(peer, [Id], cancellationToken);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var header = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(header, (ulong)download);
        await stream.Stream.WriteAsync(header, cancellationToken);
        await WriteZerosAsync(stream.Stream, upload, WriteSize, cancellationToken);
        await stream.CompleteWritesAsync();
        var received = await DrainAsync(stream.Stream, download, cancellationToken);
        if (received != download)
        {
            throw new InvalidOperationException($"The perf server sent {received} of {download} bytes.");
        }

        return clock.Elapsed.TotalSeconds;
    }

    private static async Task ServeAsync(PeerStream stream, CancellationToken cancellationToken)
    {
        var header = new byte[8];
        await stream.Stream.ReadExactlyAsync(header, cancellationToken);
        var requested = BinaryPrimitives.ReadUInt64BigEndian(header);
        if (requested > MaxDownload)
        {
            throw new Libp2pProtocolException($"A perf client asked for {requested} bytes; this server sends at most {MaxDownload}.");
        }

        await DrainAsync(stream.Stream, long.MaxValue, cancellationToken);
        await WriteZerosAsync(stream.Stream, (long)requested, WriteSize, cancellationToken);
        await stream.CompleteWritesAsync();
    }

    /// <summary>Writes <paramref name="count"/> zero bytes in writes of <paramref name="writeSize"/> (at most <see cref="WriteSize"/>).</summary>
    public static async Task WriteZerosAsync(Stream stream, long count, int writeSize, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            var chunk = (int)Math.Min(count, Math.Min(writeSize, Zeros.Length));
            await stream.WriteAsync(Zeros.AsMemory(0, chunk), cancellationToken);
            count -= chunk;
        }
    }

    /// <summary>Reads to the end of the stream; throws once more than <paramref name="limit"/> bytes arrive.</summary>
    public static async Task<long> DrainAsync(Stream stream, long limit, CancellationToken cancellationToken)
    {
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(Scratch, cancellationToken)) > 0)
        {
            total += read;
            if (total > limit)
            {
                throw new Libp2pProtocolException($"The perf peer sent more than the {limit} bytes asked for.");
            }
        }

        return total;
    }
}
