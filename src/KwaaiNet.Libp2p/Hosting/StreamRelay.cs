// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf;
using Grpc.Core;
using KwaaiNet.Libp2p.Network;

namespace KwaaiNet.Libp2p.Hosting;

/// <summary>
/// Relays a libp2p stream over a gRPC stream of data and close frames, both ways: the gateway's <c>OpenStream</c>
/// (services to peers) and its inbound stream routes (peers to services) use the same frames under other names.
/// </summary>
internal static class StreamRelay
{
    /// <summary>Largest data frame relayed in one gRPC message.</summary>
    public const int Chunk = 64 * 1024;

    /// <summary>Sends what <paramref name="source"/> yields as data frames until its end, then one close frame.</summary>
    public static async Task CopyToFramesAsync<TFrame>(
        Stream source, IAsyncStreamWriter<TFrame> target, Func<ByteString, TFrame> data, TFrame close, CancellationToken cancellationToken)
    {
        var buffer = new byte[Chunk];
        while (true)
        {
            var read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                await target.WriteAsync(close, cancellationToken).ConfigureAwait(false);
                return;
            }

            await target.WriteAsync(data(ByteString.CopyFrom(buffer, 0, read)), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Writes the data frames of <paramref name="source"/> to <paramref name="target"/> until a close frame or the end
    /// of the gRPC stream, then half-closes the libp2p stream.
    /// </summary>
    /// <param name="source">The frames.</param>
    /// <param name="target">The libp2p stream.</param>
    /// <param name="data">A frame's data, or null when it carries none.</param>
    /// <param name="isClose">Whether a frame is the close frame.</param>
    /// <param name="cancellationToken">Ends the relay.</param>
    public static async Task CopyFromFramesAsync<TFrame>(
        IAsyncStreamReader<TFrame> source, PeerStream target, Func<TFrame, ByteString?> data, Func<TFrame, bool> isClose, CancellationToken cancellationToken)
    {
        while (await source.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            var frame = source.Current;
            if (data(frame) is { } bytes)
            {
                await target.Stream.WriteAsync(bytes.Memory, cancellationToken).ConfigureAwait(false);
            }
            else if (isClose(frame))
            {
                break;
            }
        }

        await target.CompleteWritesAsync().ConfigureAwait(false);
    }
}
