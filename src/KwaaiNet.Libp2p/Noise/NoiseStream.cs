// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace KwaaiNet.Libp2p.Noise;

/// <summary>
/// The encrypted side of a Noise session as a plain duplex <see cref="Stream"/> (libp2p specs noise/README.md
/// §Wire Format): every write is sealed into 2-byte-length-prefixed ChaCha20-Poly1305 frames, every read serves
/// decrypted plaintext. One reader and one writer may run concurrently; two concurrent reads (or writes) are a bug
/// and throw. Disposing closes the transport.
/// </summary>
/// <remarks>
/// Throughput: a write of any size is sealed into one pooled buffer and reaches the transport as one write (at most
/// <see cref="MaxFramesPerWrite"/> frames, about 1 MiB, per transport write). Reads pull up to
/// <see cref="ReadBufferSize"/> bytes per transport read and decrypt each complete frame straight into the caller's
/// buffer when it fits, otherwise in place. Steady state allocates nothing per frame.
/// </remarks>
public sealed class NoiseStream : Stream
{
    /// <summary>Bytes requested from the transport per read.</summary>
    public const int ReadBufferSize = 128 * 1024;

    /// <summary>Frames sealed into one transport write: 15 full frames keep a write's buffer under 1 MiB.</summary>
    public const int MaxFramesPerWrite = 15;

    // Before a transport read, the free tail must hold at least this much, or the partial frame moves to the front.
    private const int MinReadSpace = 16 * 1024;
    private const int MaxPlaintextPerWrite = MaxFramesPerWrite * NoiseTransportCipher.MaxPlaintextLength;

    private readonly Stream _transport;
    private readonly NoiseTransportCipher _sender;
    private readonly NoiseTransportCipher _receiver;

    private byte[]? _readBuffer;

    // Received bytes not yet decrypted: [_dataStart, _dataEnd). Decrypted plaintext not yet served (a frame that
    // did not fit the caller's buffer, decrypted in place): [_plainStart, _plainEnd), always before _dataStart.
    private int _dataStart;
    private int _dataEnd;
    private int _plainStart;
    private int _plainEnd;
    private bool _endOfStream;
    private string? _readError;
    private string? _writeError;
    private int _reading;
    private int _writing;
    private int _disposed;

    internal NoiseStream(Stream transport, NoiseTransportCipher sender, NoiseTransportCipher receiver)
    {
        _transport = transport;
        _sender = sender;
        _receiver = receiver;
    }

    /// <summary>The cipher that seals what this stream writes.</summary>
    internal NoiseTransportCipher Sender => _sender;

    /// <summary>The cipher that opens what this stream reads.</summary>
    internal NoiseTransportCipher Receiver => _receiver;

    /// <inheritdoc />
    public override bool CanRead => Volatile.Read(ref _disposed) == 0;

    /// <inheritdoc />
    public override bool CanWrite => Volatile.Read(ref _disposed) == 0;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// Wraps <paramref name="transport"/> with transport keys agreed elsewhere: no handshake and no
    /// authentication. For benchmarks of the framing alone and for tests; connections use
    /// <see cref="NoiseSecurity"/>. The stream owns the transport.
    /// </summary>
    /// <exception cref="ArgumentException">A key is not 32 bytes.</exception>
    public static NoiseStream CreateFromTransportKeys(Stream transport, ReadOnlySpan<byte> sendKey, ReadOnlySpan<byte> receiveKey)
    {
        ArgumentNullException.ThrowIfNull(transport);
        return new NoiseStream(transport, new NoiseTransportCipher(sendKey), new NoiseTransportCipher(receiveKey));
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        EnterRead();
        try
        {
            while (true)
            {
                var served = Serve(buffer);
                if (served >= 0)
                {
                    return served;
                }

                var free = PrepareForTransportRead();
                var read = _transport.Read(_readBuffer.AsSpan(_dataEnd, free));
                if (OnTransportRead(read))
                {
                    return 0;
                }
            }
        }
        catch (Libp2pProtocolException ex)
        {
            _readError ??= ex.Message;
            throw;
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc />
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        EnterRead();
        try
        {
            while (true)
            {
                var served = Serve(buffer.Span);
                if (served >= 0)
                {
                    return served;
                }

                var free = PrepareForTransportRead();
                var read = await _transport.ReadAsync(_readBuffer.AsMemory(_dataEnd, free), cancellationToken).ConfigureAwait(false);
                if (OnTransportRead(read))
                {
                    return 0;
                }
            }
        }
        catch (Libp2pProtocolException ex)
        {
            _readError ??= ex.Message;
            throw;
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        EnterWrite();
        try
        {
            while (!buffer.IsEmpty)
            {
                var chunk = Math.Min(buffer.Length, MaxPlaintextPerWrite);
                var sealedBuffer = ArrayPool<byte>.Shared.Rent(NoiseTransportCipher.GetFramedLength(chunk));
                try
                {
                    var length = _sender.SealFrames(buffer[..chunk], sealedBuffer);
                    _transport.Write(sealedBuffer, 0, length);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(sealedBuffer);
                }

                buffer = buffer[chunk..];
            }
        }
        catch (Exception ex)
        {
            // Frames may be half sent and the nonce has moved on: nothing written after this can be read.
            _writeError ??= ex.Message;
            throw;
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
        }
    }

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc />
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        EnterWrite();
        try
        {
            while (!buffer.IsEmpty)
            {
                var chunk = Math.Min(buffer.Length, MaxPlaintextPerWrite);
                var sealedBuffer = ArrayPool<byte>.Shared.Rent(NoiseTransportCipher.GetFramedLength(chunk));
                try
                {
                    var length = _sender.SealFrames(buffer.Span[..chunk], sealedBuffer);
                    await _transport.WriteAsync(sealedBuffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(sealedBuffer);
                }

                buffer = buffer[chunk..];
            }
        }
        catch (Exception ex)
        {
            _writeError ??= ex.Message;
            throw;
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
        }
    }

    /// <summary>
    /// Writes several buffers, each sealed into frames of its own (a buffer of at most
    /// <see cref="NoiseTransportCipher.MaxPlaintextLength"/> bytes is exactly one frame), with one transport write
    /// for all of them. The yamux write loop hands over the frames queued together this way: one Noise frame per
    /// yamux frame, one socket write per batch, and no copy into a joint plaintext buffer first.
    /// </summary>
    /// <param name="pieces">The buffers in order; together at most about <see cref="MaxFramesPerWrite"/> frames,
    /// which the caller bounds (the sealed bytes go into one pooled buffer).</param>
    /// <param name="cancellationToken">Cancels the transport write.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    internal async ValueTask WriteFramesAsync(IReadOnlyList<ReadOnlyMemory<byte>> pieces, CancellationToken cancellationToken)
    {
        EnterWrite();
        try
        {
            var total = 0;
            for (var i = 0; i < pieces.Count; i++)
            {
                total = checked(total + NoiseTransportCipher.GetFramedLength(pieces[i].Length));
            }

            var sealedBuffer = ArrayPool<byte>.Shared.Rent(total);
            try
            {
                var length = 0;
                for (var i = 0; i < pieces.Count; i++)
                {
                    length += _sender.SealFrames(pieces[i].Span, sealedBuffer.AsSpan(length));
                }

                await _transport.WriteAsync(sealedBuffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(sealedBuffer);
            }
        }
        catch (Exception ex)
        {
            _writeError ??= ex.Message;
            throw;
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
        }
    }

    /// <summary>Does nothing: every write reaches the transport before it completes.</summary>
    public override void Flush()
    {
    }

    /// <summary>Does nothing: every write reaches the transport before it completes.</summary>
    public override Task FlushAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Task.CompletedTask;

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Closes the transport and releases both ciphers.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            try
            {
                await _transport.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                _sender.Dispose();
                _receiver.Dispose();
            }
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            try
            {
                _transport.Dispose();
            }
            finally
            {
                _sender.Dispose();
                _receiver.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private void EnterRead()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _reading, 1) != 0)
        {
            throw new InvalidOperationException("NoiseStream does not support concurrent reads.");
        }

        if (_readError is not null)
        {
            Volatile.Write(ref _reading, 0);
            throw new Libp2pProtocolException("The Noise stream already failed: " + _readError);
        }
    }

    private void EnterWrite()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _writing, 1) != 0)
        {
            throw new InvalidOperationException("NoiseStream does not support concurrent writes.");
        }

        if (_writeError is not null)
        {
            Volatile.Write(ref _writing, 0);
            throw new IOException("An earlier write on this Noise stream failed, so the frames after it cannot be decrypted: " + _writeError);
        }
    }

    /// <summary>
    /// Serves <paramref name="destination"/> from buffered plaintext and complete buffered frames. Returns the bytes
    /// served, 0 at the end of the stream or for an empty destination, or -1 when the transport must be read.
    /// </summary>
    private int Serve(Span<byte> destination)
    {
        if (_plainEnd > _plainStart)
        {
            var count = Math.Min(destination.Length, _plainEnd - _plainStart);
            _readBuffer.AsSpan(_plainStart, count).CopyTo(destination);
            _plainStart += count;
            return count;
        }

        if (destination.IsEmpty || _endOfStream)
        {
            return 0;
        }

        var buffer = _readBuffer;
        var served = 0;
        try
        {
            while (buffer is not null && _dataEnd - _dataStart >= NoiseTransportCipher.FrameHeaderLength)
            {
                int messageLength = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(_dataStart));
                if (messageLength < NoiseTransportCipher.TagLength)
                {
                    throw new Libp2pProtocolException(string.Format(
                        CultureInfo.InvariantCulture,
                        "The peer sent a Noise transport frame of {0} bytes; a frame carries at least its {1}-byte tag.",
                        messageLength,
                        NoiseTransportCipher.TagLength));
                }

                var frameEnd = _dataStart + NoiseTransportCipher.FrameHeaderLength + messageLength;
                if (frameEnd > _dataEnd)
                {
                    break;
                }

                var message = buffer.AsSpan(_dataStart + NoiseTransportCipher.FrameHeaderLength, messageLength);
                var plaintextLength = messageLength - NoiseTransportCipher.TagLength;
                if (plaintextLength <= destination.Length - served)
                {
                    // Straight into the caller's buffer: no second copy.
                    served += _receiver.OpenMessage(message, destination[served..]);
                    _dataStart = frameEnd;
                    continue;
                }

                if (served > 0)
                {
                    break;
                }

                // The frame is larger than what the caller asked for: decrypt in place and serve it in pieces.
                _receiver.OpenMessage(message, message);
                _plainStart = _dataStart + NoiseTransportCipher.FrameHeaderLength;
                _plainEnd = _plainStart + plaintextLength;
                _dataStart = frameEnd;
                var count = destination.Length;
                buffer.AsSpan(_plainStart, count).CopyTo(destination);
                _plainStart += count;
                return count;
            }
        }
        catch (Libp2pProtocolException ex) when (served > 0)
        {
            // Hand over the frames that did authenticate; the next read reports the failure.
            _readError = ex.Message;
            return served;
        }

        // Frames with an empty plaintext decrypt to nothing; 0 would read as the end of the stream, so read on.
        return served > 0 ? served : -1;
    }

    /// <summary>Makes room after the buffered bytes and returns how many bytes the next transport read may fill.</summary>
    private int PrepareForTransportRead()
    {
        _readBuffer ??= GC.AllocateUninitializedArray<byte>(ReadBufferSize);
        _plainStart = _plainEnd = 0;
        var pending = _dataEnd - _dataStart;
        if (pending == 0)
        {
            _dataStart = _dataEnd = 0;
        }
        else if (_dataStart > 0 && (_readBuffer.Length - _dataEnd < MinReadSpace
            || _readBuffer.Length - _dataStart < NoiseTransportCipher.MaxFrameLength))
        {
            // Only a partial frame (under 64 KiB) is ever moved, and only when the tail is short.
            Buffer.BlockCopy(_readBuffer, _dataStart, _readBuffer, 0, pending);
            _dataStart = 0;
            _dataEnd = pending;
        }

        return _readBuffer.Length - _dataEnd;
    }

    /// <summary>Accounts for a transport read; returns true at a clean end of stream (between frames).</summary>
    private bool OnTransportRead(int read)
    {
        if (read > 0)
        {
            _dataEnd += read;
            return false;
        }

        var pending = _dataEnd - _dataStart;
        if (pending == 0)
        {
            _endOfStream = true;
            return true;
        }

        throw new Libp2pProtocolException(string.Format(
            CultureInfo.InvariantCulture,
            "The connection ended inside a Noise transport frame ({0} bytes of it received).",
            pending));
    }
}
