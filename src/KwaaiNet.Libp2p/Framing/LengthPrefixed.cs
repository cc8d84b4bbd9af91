// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers;
using System.Globalization;
using KwaaiNet.Libp2p.Identity;

namespace KwaaiNet.Libp2p.Framing;

/// <summary>
/// Unsigned-varint length-prefixed messages on a stream: the framing of multistream-select lines, identify, kad
/// and p2pd's unary calls. Reads never consume a byte past the message, so whatever the peer pipelined after it
/// stays in the stream for the next reader.
/// </summary>
public static class LengthPrefixed
{
    /// <summary>
    /// Reads one message of at most <paramref name="maxLength"/> bytes. Returns null on a clean end of stream
    /// before the first byte of the prefix.
    /// </summary>
    /// <exception cref="Libp2pProtocolException">The prefix is not a valid varint, the message is larger than
    /// <paramref name="maxLength"/>, or the stream ends inside the message.</exception>
    public static async ValueTask<byte[]?> ReadAsync(Stream stream, int maxLength, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var length = await ReadLengthAsync(stream, maxLength, cancellationToken).ConfigureAwait(false);
        if (length < 0)
        {
            return null;
        }

        var message = new byte[length];
        await ReadBodyAsync(stream, message, cancellationToken).ConfigureAwait(false);
        return message;
    }

    /// <summary>
    /// Reads the varint length prefix, one byte at a time so that nothing after it is consumed. Returns -1 on a
    /// clean end of stream before the prefix.
    /// </summary>
    /// <exception cref="Libp2pProtocolException">The varint is malformed, truncated or above <paramref name="maxLength"/>.</exception>
    public static async ValueTask<int> ReadLengthAsync(Stream stream, int maxLength, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        var prefix = ArrayPool<byte>.Shared.Rent(UVarint.MaxLength);
        try
        {
            for (var i = 0; i < UVarint.MaxLength; i++)
            {
                var read = await stream.ReadAsync(prefix.AsMemory(i, 1), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return i == 0 ? -1 : throw new Libp2pProtocolException("The stream ended inside a varint length prefix.");
                }

                if ((prefix[i] & 0x80) == 0)
                {
                    if (!UVarint.TryRead(prefix.AsSpan(0, i + 1), out var value, out _))
                    {
                        throw new Libp2pProtocolException("Invalid varint length prefix (not minimally encoded).");
                    }

                    return value <= (ulong)maxLength
                        ? (int)value
                        : throw new Libp2pProtocolException(string.Format(
                            CultureInfo.InvariantCulture, "Message of {0} bytes exceeds the limit of {1} bytes.", value, maxLength));
                }
            }

            throw new Libp2pProtocolException("Invalid varint length prefix (longer than 9 bytes).");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(prefix);
        }
    }

    /// <summary>Writes the varint length of <paramref name="message"/> and the message, in one write.</summary>
    public static async ValueTask WriteAsync(Stream stream, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var total = UVarint.GetByteCount((ulong)message.Length) + message.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            var written = Encode(message.Span, buffer);
            await stream.WriteAsync(buffer.AsMemory(0, written), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Writes the varint length of <paramref name="message"/> and the message into <paramref name="destination"/>.</summary>
    /// <returns>The number of bytes written.</returns>
    public static int Encode(ReadOnlySpan<byte> message, Span<byte> destination)
    {
        if (!UVarint.TryWrite(destination, (ulong)message.Length, out var prefix)
            || destination.Length - prefix < message.Length)
        {
            throw new ArgumentException("The destination is too small for the message and its length prefix.", nameof(destination));
        }

        message.CopyTo(destination[prefix..]);
        return prefix + message.Length;
    }

    private static async ValueTask ReadBodyAsync(Stream stream, Memory<byte> body, CancellationToken cancellationToken)
    {
        try
        {
            await stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException ex)
        {
            throw new Libp2pProtocolException(string.Format(
                CultureInfo.InvariantCulture, "The stream ended inside a {0}-byte message.", body.Length), ex);
        }
    }
}
