// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Binary;

namespace KwaaiNet.Hivemind.Streams;

/// <summary>
/// Reads hivemind stream frames one at a time from a <see cref="Stream"/>. The end of the stream, even inside a frame,
/// ends the reading: hivemind treats a stream cut mid-frame as the normal end of the response stream, so this reader
/// returns <see langword="null"/> then too and sets <see cref="EndedMidFrame"/> for callers that want to tell.
/// </summary>
public sealed class HivemindFrameReader
{
    /// <summary>The default largest payload accepted: 64 MiB.</summary>
    public const long DefaultMaxPayloadLength = 64L * 1024 * 1024;

    private readonly Stream _stream;
    private readonly long _maxPayloadLength;
    private readonly byte[] _header = new byte[HivemindFrame.HeaderLength];

    /// <summary>Creates a reader over <paramref name="stream"/>.</summary>
    /// <param name="stream">The stream the frames arrive on; the reader does not own it.</param>
    /// <param name="maxPayloadLength">The largest payload accepted; a longer declared length is refused before anything is allocated.</param>
    public HivemindFrameReader(Stream stream, long maxPayloadLength = DefaultMaxPayloadLength)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(maxPayloadLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxPayloadLength, Array.MaxLength);
        _stream = stream;
        _maxPayloadLength = maxPayloadLength;
    }

    /// <summary>Whether the stream ended inside a frame (its header or payload cut short).</summary>
    public bool EndedMidFrame { get; private set; }

    /// <summary>Reads the next frame.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The frame, or <see langword="null"/> at the end of the stream (at a frame boundary or inside a frame, see <see cref="EndedMidFrame"/>).</returns>
    /// <exception cref="HivemindFrameException">An unknown marker byte, or a length above the limit.</exception>
    public async ValueTask<HivemindFrame?> ReadAsync(CancellationToken cancellationToken)
    {
        var headerRead = await _stream.ReadAtLeastAsync(_header, _header.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (headerRead < _header.Length)
        {
            EndedMidFrame = headerRead > 0;
            return null;
        }

        var marker = _header[0];
        if (marker is not ((byte)HivemindFrameKind.Message or (byte)HivemindFrameKind.Error))
        {
            throw new HivemindFrameException($"Invalid hivemind frame marker 0x{marker:x2}: expected 0x00 (message) or 0x01 (error).");
        }

        var length = BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(1));
        if (length > (ulong)_maxPayloadLength)
        {
            throw new HivemindFrameException($"A hivemind frame declares {length} payload bytes, above the limit of {_maxPayloadLength}.");
        }

        var payload = length == 0 ? [] : new byte[(int)length];
        var payloadRead = await _stream.ReadAtLeastAsync(payload, payload.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (payloadRead < payload.Length)
        {
            EndedMidFrame = true;
            return null;
        }

        return new HivemindFrame((HivemindFrameKind)marker, payload);
    }
}
