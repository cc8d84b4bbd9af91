// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace KwaaiNet.Libp2p.Yamux;

/// <summary>
/// One yamux stream of a <see cref="YamuxSession"/>: a duplex byte stream with its own flow control.
/// </summary>
/// <remarks>
/// Reads return 0 once the peer half-closed (FIN) and the buffered data is drained, and throw
/// <see cref="YamuxStreamResetException"/> after a reset. Writes wait while the peer's receive window is used up
/// and go out as data frames of at most <see cref="YamuxOptions.MaxFramePayload"/> bytes; a write returns once its
/// frames are queued and the previous write is on the wire. <see cref="CompleteWritesAsync"/> half-closes,
/// <see cref="Reset"/> aborts, and disposing half-closes (if not yet done) and stops reading: data that still
/// arrives is dropped but credited, so that the peer can finish. One reader and one writer at a time.
/// </remarks>
public sealed class YamuxStream : Stream
{
    private readonly YamuxSession _session;
    private readonly int _maxFramePayload;
    private readonly int _maxWindow;
    private readonly Lock _lock = new();
    private readonly Channel<Segment> _received =
        Channel.CreateUnbounded<Segment>(new UnboundedChannelOptions { SingleWriter = true });

    // Under _lock.
    private long _receiveWindow;
    private long _receiveAvailable;
    private long _consumedSinceUpdate;
    private long _sendWindow;
    private TaskCompletionSource? _sendWaiter;
    private bool _remoteFin;
    private bool _remoteReset;
    private bool _localFin;
    private bool _localReset;
    private bool _disposed;
    private bool _finished;
    private bool _holdsUnacknowledgedSlot;
    private Exception? _sessionError;

    // Owned by the writer.
    private Task? _pendingWrite;

    // Owned by the reader.
    private byte[]? _current;
    private int _currentOffset;
    private int _currentEnd;

    internal YamuxStream(YamuxSession session, uint id, bool isOutbound, int initialWindow)
    {
        _session = session;
        Id = id;
        IsOutbound = isOutbound;
        _maxFramePayload = session.Options.MaxFramePayload;
        _maxWindow = session.Options.MaxStreamWindow;
        _receiveWindow = initialWindow;
        _receiveAvailable = initialWindow;
        _sendWindow = YamuxOptions.SpecInitialWindow;
        _holdsUnacknowledgedSlot = isOutbound;
    }

    internal enum ReceiveDecision
    {
        Deliver,
        Discard,
        Violation,
    }

    /// <summary>The stream id: odd when the connection's initiator opened it, even for the responder.</summary>
    public uint Id { get; }

    /// <summary>Whether this side opened the stream.</summary>
    public bool IsOutbound { get; }

    /// <summary>
    /// The current receive window in bytes: starts at <see cref="YamuxOptions.InitialStreamWindow"/> and doubles
    /// with each window update while the reader keeps consuming, up to <see cref="YamuxOptions.MaxStreamWindow"/>.
    /// </summary>
    public int ReceiveWindow
    {
        get
        {
            lock (_lock)
            {
                return (int)_receiveWindow;
            }
        }
    }

    /// <inheritdoc/>
    public override bool CanRead => !Volatile.Read(ref _disposed);

    /// <inheritdoc/>
    public override bool CanWrite => !Volatile.Read(ref _disposed);

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <inheritdoc/>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            ThrowIfReadFailed(afterEnd: false);
            var copied = CopyBuffered(buffer.Span);
            if (copied > 0)
            {
                _session.AddBuffered(-copied);
                OnConsumed(copied);
                return copied;
            }

            if (!await _received.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ThrowIfReadFailed(afterEnd: true);
                return 0;
            }
        }
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
#pragma warning disable VSTHRD002 // Stream's synchronous API over the asynchronous one; callers choose to block.
        return ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
    }

    /// <inheritdoc/>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var remaining = buffer;
        TaskCompletionSource? last = null;
        while (!remaining.IsEmpty)
        {
            int chunk;
            Task? windowOpened = null;
            lock (_lock)
            {
                ThrowIfWriteClosed();
                if (_sendWindow == 0)
                {
                    _sendWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    windowOpened = _sendWaiter.Task;
                    chunk = 0;
                }
                else
                {
                    chunk = (int)Math.Min(Math.Min(remaining.Length, _sendWindow), _maxFramePayload);
                    _sendWindow -= chunk;
                }
            }

            if (windowOpened is not null)
            {
                await windowOpened.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            // Header and payload in one pooled buffer: one transport write per frame (one Noise frame below).
            var frame = YamuxBuffers.Pool.Rent(YamuxHeader.Size + chunk);
            new YamuxHeader(YamuxFrameType.Data, YamuxFlags.None, Id, (uint)chunk).TryWrite(frame);
            remaining.Span[..chunk].CopyTo(frame.AsSpan(YamuxHeader.Size));
            remaining = remaining[chunk..];
            var written = remaining.IsEmpty ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) : null;
            if (!_session.TryEnqueueData(frame, YamuxHeader.Size + chunk, written))
            {
                throw _session.ClosedException();
            }

            last = written ?? last;
        }

        // Back-pressure with one write in flight: this write's frames are queued, and the call returns once the
        // previous write's frames are on the transport, so the write loop always has the next frame ready.
        var previous = _pendingWrite;
        _pendingWrite = last?.Task ?? previous;
        if (previous is not null && previous != _pendingWrite)
        {
            await previous.ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
#pragma warning disable VSTHRD002 // Stream's synchronous API over the asynchronous one; callers choose to block.
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
    }

    /// <summary>Waits until everything written so far is on the transport.</summary>
    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_pendingWrite is { } pending)
        {
            await pending.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public override void Flush()
    {
        // Frames are queued to the session's write loop as they are written; FlushAsync waits for them.
    }

    /// <summary>
    /// Half-closes the stream (FIN): this side writes no more, the peer reads end of stream after the data, and this
    /// side can still read. Returns once the data written before it is on the transport.
    /// </summary>
    public async ValueTask CompleteWritesAsync()
    {
        bool send;
        lock (_lock)
        {
            send = !_localFin && !_localReset && !_remoteReset && _sessionError is null;
            _localFin = true;
        }

        if (send)
        {
            _session.TryEnqueueControl(YamuxFrameType.WindowUpdate, YamuxFlags.Fin, Id, 0);
            TryFinish();
        }

        if (_pendingWrite is { } pending)
        {
            await pending.ConfigureAwait(false);
        }
    }

    /// <summary>Aborts the stream (RST) in both directions; buffered data is dropped.</summary>
    public void Reset()
    {
        long allowance;
        bool release;
        lock (_lock)
        {
            if (_localReset || _remoteReset || _finished)
            {
                return;
            }

            _localReset = true;
            _finished = true;
            allowance = _receiveAvailable;
            release = _holdsUnacknowledgedSlot;
            _holdsUnacknowledgedSlot = false;
            WakeWriterLocked();
        }

        _received.Writer.TryComplete();
        _session.TryEnqueueControl(YamuxFrameType.WindowUpdate, YamuxFlags.Rst, Id, 0);
        _session.OnStreamFinished(this, allowance, release);
        DropBuffered(includeCurrent: false);
    }

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync().ConfigureAwait(false);
        if (_pendingWrite is { } pending)
        {
            try
            {
                await pending.ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The session ended; there is nothing left to deliver.
            }
        }
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    internal ReceiveDecision TryReserveReceive(uint length, out long available)
    {
        lock (_lock)
        {
            available = _receiveAvailable;
            if (length > _receiveAvailable)
            {
                return ReceiveDecision.Violation;
            }

            _receiveAvailable -= length;
            return _disposed || _localReset || _remoteReset || _remoteFin || _sessionError is not null
                ? ReceiveDecision.Discard
                : ReceiveDecision.Deliver;
        }
    }

    /// <summary>Queues <paramref name="length"/> bytes at <paramref name="offset"/> of a pooled buffer, which the stream now owns.</summary>
    internal void Deliver(byte[] buffer, int offset, int length)
    {
        if (!_received.Writer.TryWrite(new Segment(buffer, offset, length)))
        {
            _session.AddBuffered(-length);
            YamuxBuffers.Pool.Return(buffer);
        }
    }

    /// <summary>Data dropped for a disposed stream is credited as read, so that the peer can finish writing.</summary>
    internal void OnDiscarded(int length) => OnConsumed(length);

    internal bool OnRemoteWindowUpdate(uint delta)
    {
        lock (_lock)
        {
            _sendWindow += delta;
            if (_sendWindow > uint.MaxValue)
            {
                return false;
            }

            WakeWriterLocked();
            return true;
        }
    }

    internal void OnRemoteAck()
    {
        lock (_lock)
        {
            if (!_holdsUnacknowledgedSlot)
            {
                return;
            }

            _holdsUnacknowledgedSlot = false;
        }

        _session.ReleaseUnacknowledged();
    }

    internal void OnRemoteFin()
    {
        lock (_lock)
        {
            _remoteFin = true;
        }

        _received.Writer.TryComplete();
        TryFinish();
    }

    internal void OnRemoteReset()
    {
        bool release;
        lock (_lock)
        {
            if (_remoteReset || _localReset)
            {
                return;
            }

            _remoteReset = true;
            var wasFinished = _finished;
            _finished = true;
            release = _holdsUnacknowledgedSlot;
            _holdsUnacknowledgedSlot = false;
            WakeWriterLocked();
            if (wasFinished)
            {
                return;
            }
        }

        _received.Writer.TryComplete();
        _session.OnStreamFinished(this, 0, release);
        DropBuffered(includeCurrent: false);
    }

    internal void OnSessionClosed(Exception error)
    {
        lock (_lock)
        {
            _sessionError = error;
            _finished = true;
            WakeWriterLocked();
        }

        _received.Writer.TryComplete();
    }

    /// <summary>Acknowledges an accepted inbound stream (ACK); false when it is already reset or its session closed.</summary>
    internal bool Acknowledge()
    {
        lock (_lock)
        {
            if (_remoteReset || _localReset || _sessionError is not null)
            {
                return false;
            }
        }

        _session.TryEnqueueControl(YamuxFrameType.WindowUpdate, YamuxFlags.Ack, Id,
            (uint)(_receiveWindow - YamuxOptions.SpecInitialWindow));
        return true;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            bool sendFin;
            lock (_lock)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                sendFin = !_localFin && !_localReset && !_remoteReset && _sessionError is null;
                _localFin = true;
                WakeWriterLocked();
            }

            if (sendFin)
            {
                _session.TryEnqueueControl(YamuxFrameType.WindowUpdate, YamuxFlags.Fin, Id, 0);
            }

            var dropped = DropBuffered(includeCurrent: true);
            if (dropped > 0)
            {
                OnConsumed(dropped);
            }

            TryFinish();
        }

        base.Dispose(disposing);
    }

    private int CopyBuffered(Span<byte> destination)
    {
        var copied = 0;
        while (copied < destination.Length)
        {
            if (_current is null)
            {
                if (!_received.Reader.TryRead(out var segment))
                {
                    break;
                }

                _current = segment.Buffer;
                _currentOffset = segment.Offset;
                _currentEnd = segment.Offset + segment.Length;
            }

            var count = Math.Min(destination.Length - copied, _currentEnd - _currentOffset);
            _current.AsSpan(_currentOffset, count).CopyTo(destination[copied..]);
            copied += count;
            _currentOffset += count;
            if (_currentOffset == _currentEnd)
            {
                YamuxBuffers.Pool.Return(_current);
                _current = null;
            }
        }

        return copied;
    }

    /// <summary>
    /// Returns buffered segments to the pool; the count of bytes dropped. Only the reader (or Dispose, which ends
    /// reading) may drop the segment being read.
    /// </summary>
    private int DropBuffered(bool includeCurrent)
    {
        var dropped = 0;
        if (includeCurrent && _current is { } current)
        {
            dropped += _currentEnd - _currentOffset;
            _current = null;
            YamuxBuffers.Pool.Return(current);
        }

        while (_received.Reader.TryRead(out var segment))
        {
            dropped += segment.Length;
            YamuxBuffers.Pool.Return(segment.Buffer);
        }

        _session.AddBuffered(-dropped);
        return dropped;
    }

    /// <summary>
    /// Credits consumed bytes and sends a window update once half the window is consumed. Each update doubles the
    /// window while the reader keeps consuming, up to MaxStreamWindow and within the session's MaxBufferedBytes (the
    /// auto-tuning go-yamux and js-yamux do, there keyed to the RTT), so one stream can fill a fast connection.
    /// </summary>
    private void OnConsumed(int count)
    {
        uint delta;
        lock (_lock)
        {
            if (_remoteFin || _remoteReset || _localReset || _sessionError is not null)
            {
                return;
            }

            _consumedSinceUpdate += count;
            if (_consumedSinceUpdate < _receiveWindow / 2)
            {
                return;
            }

            var window = _receiveWindow;
            if (!_disposed && window < _maxWindow)
            {
                var grown = Math.Min(window * 2, _maxWindow);
                if (_session.TryReserveWindow(grown - window))
                {
                    window = grown;
                }
            }

            delta = (uint)(_consumedSinceUpdate + window - _receiveWindow);
            _receiveWindow = window;
            _receiveAvailable += delta;
            _consumedSinceUpdate = 0;
        }

        _session.TryEnqueueControl(YamuxFrameType.WindowUpdate, YamuxFlags.None, Id, delta);
    }

    private void TryFinish()
    {
        bool release;
        lock (_lock)
        {
            if (_finished || !_localFin || !_remoteFin)
            {
                return;
            }

            _finished = true;
            release = _holdsUnacknowledgedSlot;
            _holdsUnacknowledgedSlot = false;
        }

        _session.OnStreamFinished(this, 0, release);
    }

    private void ThrowIfReadFailed(bool afterEnd)
    {
        bool reset;
        lock (_lock)
        {
            reset = _localReset || _remoteReset;
        }

        if (reset)
        {
            DropBuffered(includeCurrent: true);
            throw ResetException();
        }

        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (afterEnd && !_remoteFin && _sessionError is { } error)
            {
                throw new IOException(error.Message, error);
            }
        }
    }

    private void ThrowIfWriteClosed()
    {
        if (_localReset || _remoteReset)
        {
            throw ResetException();
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_sessionError is { } error)
        {
            throw new IOException(error.Message, error);
        }

        if (_localFin)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"Yamux stream {Id} is closed for writing (CompleteWritesAsync was called)."));
        }
    }

    private YamuxStreamResetException ResetException() =>
        new(string.Create(CultureInfo.InvariantCulture,
            $"Yamux stream {Id} was reset by the {(_localReset ? "local side" : "remote peer")}."));

    private void WakeWriterLocked()
    {
        _sendWaiter?.TrySetResult();
        _sendWaiter = null;
    }

    private readonly record struct Segment(byte[] Buffer, int Offset, int Length);
}
