// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Binary;
using Google.Protobuf;
using KwaaiNet.Hivemind.Protos;

namespace KwaaiNet.Hivemind.Streams;

/// <summary>Writes hivemind stream frames (hivemind's <c>P2P.send_protobuf</c>).</summary>
public static class HivemindFrameWriter
{
    /// <summary>Writes <paramref name="message"/> as a message frame (<c>0x00</c>).</summary>
    /// <param name="stream">The stream to write to.</param>
    /// <param name="message">The request or response.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the frame is written.</returns>
    public static ValueTask WriteMessageAsync(Stream stream, IMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return WriteFrameAsync(stream, HivemindFrameKind.Message, message.ToByteArray(), cancellationToken);
    }

    /// <summary>
    /// Writes an error frame (<c>0x01</c>) whose <c>RPCError.message</c> is always set, even to the empty string, so
    /// the frame is never read as END_OF_STREAM.
    /// </summary>
    /// <param name="stream">The stream to write to.</param>
    /// <param name="message">The error text (empty is allowed).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the frame is written.</returns>
    public static ValueTask WriteErrorAsync(Stream stream, string message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return WriteFrameAsync(stream, HivemindFrameKind.Error, new RPCError { Message = message }.ToByteArray(), cancellationToken);
    }

    /// <summary>
    /// Writes END_OF_STREAM (<c>01</c> and eight zero bytes: an empty RPCError), which a client sends after its last
    /// request. A server never sends it: it ends its responses by closing its side.
    /// </summary>
    /// <param name="stream">The stream to write to.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the frame is written.</returns>
    public static ValueTask WriteEndOfStreamAsync(Stream stream, CancellationToken cancellationToken) =>
        WriteFrameAsync(stream, HivemindFrameKind.Error, ReadOnlyMemory<byte>.Empty, cancellationToken);

    /// <summary>Writes one frame with an already serialized payload.</summary>
    /// <param name="stream">The stream to write to.</param>
    /// <param name="kind">The marker.</param>
    /// <param name="payload">The serialized payload.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the frame is written.</returns>
    public static async ValueTask WriteFrameAsync(Stream stream, HivemindFrameKind kind, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = new byte[HivemindFrame.HeaderLength];
        header[0] = (byte)kind;
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(1), (ulong)payload.Length);
        await stream.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        if (!payload.IsEmpty)
        {
            await stream.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
        }
    }
}
