// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using KwaaiNet.Libp2p.Noise;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KwaaiNet.Libp2p.Yamux;

/// <summary>
/// A yamux session (<c>/yamux/1.0.0</c>, research §2.6) over an established duplex byte stream: in production the
/// Noise-encrypted connection, in tests a TCP socket. Create and start it with <see cref="Start"/>.
/// </summary>
/// <remarks>
/// One read loop parses frames and hands each data payload, in a pooled buffer, to its stream's receive queue; it
/// never waits for an application reader (the receive windows bound what can be buffered) and never writes to the
/// transport itself. One write loop is the only writer of the transport: frames are queued to it (control frames
/// from the read loop never block), small frames queued together go out in one transport write, and each data
/// frame is one header + payload buffer written with one call. The session ends on a protocol violation (GoAway
/// protocol error, the reason in <see cref="CloseReason"/>), on a transport error or end of stream, on a keepalive
/// timeout, or on <see cref="DisposeAsync"/>; <see cref="Completion"/> then completes and never faults.
/// </remarks>
public sealed class YamuxSession : IAsyncDisposable
{
    /// <summary>The spec's limit on outbound streams not yet acknowledged by the peer (yamux spec, research §2.6).</summary>
    public const int MaxUnacknowledgedStreams = 256;

    // Pings whose replies may wait in the write queue; a peer flooding pings without reading gets no more replies.
    private const int MaxQueuedPongs = 64;

    // Control frames (window updates, RSTs, pongs) that may wait in the write queue before the session gives up on
    // a peer that sends but does not read.
    private const int MaxQueuedControlFrames = 8192;

    // Frames up to this size are gathered into one transport write when several are queued together.
    private const int SmallFrameSize = 1024;
    private const int BatchSize = 16 * 1024;
    private const int DiscardChunk = 64 * 1024;

    // Frames (or batches of small frames) gathered into one transport write: NoiseStream.MaxFramesPerWrite full
    // data frames, under 1 MiB.
    private const int MaxPiecesPerWrite = NoiseStream.MaxFramesPerWrite;

    private readonly Stream _transport;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _lock = new();
    private readonly Dictionary<uint, YamuxStream> _streams = [];
    private readonly Dictionary<uint, TaskCompletionSource> _pings = [];
    private readonly Channel<OutboundFrame> _outgoing =
        Channel.CreateUnbounded<OutboundFrame>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<YamuxStream> _acceptQueue =
        Channel.CreateUnbounded<YamuxStream>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly SemaphoreSlim _unacknowledged = new(MaxUnacknowledgedStreams, MaxUnacknowledgedStreams);
    private readonly CancellationTokenSource _closed = new();
    private readonly CancellationTokenSource _writeAbort = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Owned by the read loop: bytes read from the transport and not yet parsed, [_rxStart, _rxEnd). Each transport
    // read asks for a whole buffer, so a Noise frame holding one full data frame (header and payload, 65519 bytes)
    // is decrypted straight into it, and the buffer itself becomes the stream's received segment: no copy.
    private byte[] _rx = YamuxBuffers.Pool.Rent(YamuxBuffers.MaxArrayLength);
    private int _rxStart;
    private int _rxEnd;

    // Under _lock.
    private uint _nextOutboundId;
    private uint _highestInboundId;
    private int _inboundCount;
    private int _outboundCount;
    private int _backlogCount;
    private long _discardBudget;
    private bool _remoteGoAway;
    private bool _localGoAway;
    private bool _isClosed;

    private long _bufferedBytes;
    private long _reservedWindow;
    private int _queuedControlFrames;
    private int _queuedPongs;
    private int _pingCounter;
    private string? _closeReason;
    private Exception? _terminationReason;

    private YamuxSession(Stream transport, bool isInitiator, YamuxOptions options, ILogger logger, TimeProvider timeProvider)
    {
        _transport = transport;
        IsInitiator = isInitiator;
        Options = options;
        _logger = logger;
        _timeProvider = timeProvider;
        _nextOutboundId = isInitiator ? 1u : 2u;
    }

    /// <summary>Whether this side initiated the connection (it opens odd stream ids; the responder even ones).</summary>
    public bool IsInitiator { get; }

    /// <summary>The session's limits.</summary>
    public YamuxOptions Options { get; }

    /// <summary>Completes when the session has ended and the transport is closed; never faults.</summary>
#pragma warning disable VSTHRD003 // The session's own loops complete this task; there is no context to deadlock on.
    public Task Completion => _completion.Task;
#pragma warning restore VSTHRD003

    /// <summary>Whether the session has ended (no more frames are read or written).</summary>
    public bool IsClosed
    {
        get
        {
            lock (_lock)
            {
                return _isClosed;
            }
        }
    }

    /// <summary>Why the session ended, fit to log; null while it runs.</summary>
    public string? CloseReason => Volatile.Read(ref _closeReason);

    /// <summary>
    /// The error that ended the session: a <see cref="Libp2pProtocolException"/> when the peer broke the protocol,
    /// the transport's exception when it failed; null while it runs or after a clean close.
    /// </summary>
    public Exception? TerminationReason => Volatile.Read(ref _terminationReason);

    /// <summary>Streams open in either direction (including inbound streams not yet accepted).</summary>
    public int ActiveStreams
    {
        get
        {
            lock (_lock)
            {
                return _streams.Count;
            }
        }
    }

    /// <summary>
    /// Creates a session over <paramref name="transport"/> and starts its read and write loops (and the keepalive,
    /// if enabled). The session owns the transport from now on and closes it when it ends.
    /// </summary>
    /// <param name="transport">The established, secured duplex connection.</param>
    /// <param name="isInitiator">True on the side that dialed the connection (odd stream ids).</param>
    /// <param name="options">Limits; null for the defaults.</param>
    /// <param name="logger">Where the session logs why it ended; null for none.</param>
    /// <param name="timeProvider">The clock for pings and the keepalive; null for the system clock.</param>
    public static YamuxSession Start(
        Stream transport,
        bool isInitiator,
        YamuxOptions? options = null,
        ILogger? logger = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        options ??= new YamuxOptions();
        options.Validate();
        var session = new YamuxSession(transport, isInitiator, options, logger ?? NullLogger.Instance,
            timeProvider ?? TimeProvider.System);
        session.Run();
        return session;
    }

    /// <summary>
    /// Opens a new outbound stream. The SYN goes out at once (a WindowUpdate with SYN); data may be written before
    /// the peer's ACK. Waits while <see cref="MaxUnacknowledgedStreams"/> streams are still unacknowledged.
    /// </summary>
    /// <exception cref="YamuxSessionClosedException">The session is closed or a GoAway was sent or received.</exception>
    /// <exception cref="InvalidOperationException"><see cref="YamuxOptions.MaxOutboundStreams"/> streams are open.</exception>
    public async ValueTask<YamuxStream> OpenStreamAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfNoNewStreams();
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token))
        {
            try
            {
                await _unacknowledged.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                ThrowIfNoNewStreams();
                throw;
            }
        }

        YamuxStream stream;
        lock (_lock)
        {
            string? refusal = null;
            if (_isClosed || _remoteGoAway || _localGoAway)
            {
                refusal = NoNewStreamsMessage();
            }
            else if (_outboundCount >= Options.MaxOutboundStreams)
            {
                _unacknowledged.Release();
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"{_outboundCount} outbound yamux streams are open, the most allowed (MaxOutboundStreams)."));
            }
            else if (_nextOutboundId > uint.MaxValue - 2)
            {
                refusal = "The yamux session has used up its stream ids.";
            }

            if (refusal is not null)
            {
                _unacknowledged.Release();
                throw new YamuxSessionClosedException(refusal);
            }

            stream = new YamuxStream(this, _nextOutboundId, isOutbound: true, Options.InitialStreamWindow);
            _nextOutboundId += 2;
            _streams.Add(stream.Id, stream);
            _outboundCount++;
            Interlocked.Add(ref _reservedWindow, Options.InitialStreamWindow);

            // Queued under the lock so that SYNs leave in id order. A window above the spec's 256 KiB is announced
            // as the SYN's delta (yamux spec: a peer may grow the window with its SYN/ACK).
            // Our own SYNs are bounded by MaxOutboundStreams, so they skip the queued-control-frame cap.
            Interlocked.Increment(ref _queuedControlFrames);
            var syn = BuildControlFrame(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, stream.Id,
                (uint)(Options.InitialStreamWindow - YamuxOptions.SpecInitialWindow));
            if (!TryEnqueue(new OutboundFrame(syn, YamuxHeader.Size, null, FrameKind.Control)))
            {
                Interlocked.Decrement(ref _queuedControlFrames);
            }
        }

        return stream;
    }

    /// <summary>Waits for the next inbound stream and acknowledges it (ACK).</summary>
    /// <exception cref="YamuxSessionClosedException">The session is closed.</exception>
    public async ValueTask<YamuxStream> AcceptStreamAsync(CancellationToken cancellationToken = default)
    {
        var reader = _acceptQueue.Reader;
        while (true)
        {
            while (reader.TryRead(out var stream))
            {
                lock (_lock)
                {
                    _backlogCount--;
                }

                if (stream.Acknowledge())
                {
                    return stream;
                }
            }

            if (!await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new YamuxSessionClosedException(string.Create(CultureInfo.InvariantCulture,
                    $"The yamux session is closed: {CloseReason}"), TerminationReason);
            }
        }
    }

    /// <summary>Sends a ping and returns the round-trip time when the peer's reply arrives.</summary>
    /// <exception cref="YamuxSessionClosedException">The session closed before the reply.</exception>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        var opaque = (uint)Interlocked.Increment(ref _pingCounter);
        var reply = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_isClosed)
            {
                throw ClosedException();
            }

            _pings[opaque] = reply;
        }

        try
        {
            var started = _timeProvider.GetTimestamp();
            if (!TryEnqueueControl(YamuxFrameType.Ping, YamuxFlags.Syn, 0, opaque))
            {
                throw ClosedException();
            }

#pragma warning disable VSTHRD003 // Completed by the read loop when the reply arrives.
            await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
#pragma warning restore VSTHRD003
            return _timeProvider.GetElapsedTime(started);
        }
        finally
        {
            lock (_lock)
            {
                _pings.Remove(opaque);
            }
        }
    }

    /// <summary>
    /// Sends GoAway with <paramref name="code"/>: the peer should open no more streams, and this side opens none
    /// either; open streams carry on. Returns once the frame is written.
    /// </summary>
    public async ValueTask GoAwayAsync(YamuxGoAwayCode code)
    {
        lock (_lock)
        {
            _localGoAway = true;
        }

        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var buffer = BuildControlFrame(YamuxFrameType.GoAway, YamuxFlags.None, 0, (uint)code);
        if (!TryEnqueue(new OutboundFrame(buffer, YamuxHeader.Size, written, FrameKind.Control)))
        {
            throw ClosedException();
        }

        await written.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Closes the session: GoAway (normal), then frames already queued are written (bounded by
    /// <see cref="YamuxOptions.CloseTimeout"/>), the transport is closed and all streams fail.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        Terminate("The session was closed locally.", null, YamuxGoAwayCode.Normal, LogLevel.Debug);
#pragma warning disable VSTHRD003 // Completed by the session's own loops.
        await Completion.ConfigureAwait(false);
#pragma warning restore VSTHRD003
    }

    /// <summary>Queues a 12-byte control frame; false when the session no longer writes.</summary>
    internal bool TryEnqueueControl(YamuxFrameType type, YamuxFlags flags, uint streamId, uint length)
    {
        if (Interlocked.Increment(ref _queuedControlFrames) > MaxQueuedControlFrames)
        {
            Interlocked.Decrement(ref _queuedControlFrames);
            Terminate("The peer does not read: too many control frames are waiting to be written.", null,
                YamuxGoAwayCode.InternalError, LogLevel.Warning);
            return false;
        }

        var buffer = BuildControlFrame(type, flags, streamId, length);
        if (!TryEnqueue(new OutboundFrame(buffer, YamuxHeader.Size, null, FrameKind.Control)))
        {
            Interlocked.Decrement(ref _queuedControlFrames);
            return false;
        }

        return true;
    }

    /// <summary>Queues a data frame built by a stream (header and payload in one pooled buffer).</summary>
    internal bool TryEnqueueData(byte[] buffer, int length, TaskCompletionSource? written) =>
        TryEnqueue(new OutboundFrame(buffer, length, written, FrameKind.Data));

    /// <summary>Adds (or with a negative count removes) bytes buffered for the application in this session.</summary>
    internal long AddBuffered(long count) => Interlocked.Add(ref _bufferedBytes, count);

    /// <summary>
    /// Reserves <paramref name="growth"/> more bytes of receive window for a stream; false when the windows of all
    /// streams would exceed <see cref="YamuxOptions.MaxBufferedBytes"/>.
    /// </summary>
    internal bool TryReserveWindow(long growth)
    {
        if (Interlocked.Add(ref _reservedWindow, growth) <= Options.MaxBufferedBytes)
        {
            return true;
        }

        Interlocked.Add(ref _reservedWindow, -growth);
        return false;
    }

    /// <summary>
    /// Called once by a stream that is closed both ways or reset. <paramref name="inFlightAllowance"/> is the
    /// receive window the peer may still have in flight (after a local reset), which the session still accepts
    /// and discards.
    /// </summary>
    internal void OnStreamFinished(YamuxStream stream, long inFlightAllowance, bool releaseUnacknowledged)
    {
        lock (_lock)
        {
            if (_streams.Remove(stream.Id))
            {
                if (stream.IsOutbound)
                {
                    _outboundCount--;
                }
                else
                {
                    _inboundCount--;
                }
            }

            _discardBudget += inFlightAllowance;
        }

        Interlocked.Add(ref _reservedWindow, -stream.ReceiveWindow);

        if (releaseUnacknowledged)
        {
            _unacknowledged.Release();
        }
    }

    /// <summary>Called by an outbound stream when its ACK (or its end) frees a slot of the unacknowledged limit.</summary>
    internal void ReleaseUnacknowledged() => _unacknowledged.Release();

    internal Exception ClosedException() =>
        new YamuxSessionClosedException(string.Create(CultureInfo.InvariantCulture,
            $"The yamux session is closed: {CloseReason}"), TerminationReason);

    private static byte[] BuildControlFrame(YamuxFrameType type, YamuxFlags flags, uint streamId, uint length)
    {
        var buffer = YamuxBuffers.Pool.Rent(YamuxHeader.Size);
        new YamuxHeader(type, flags, streamId, length).TryWrite(buffer);
        return buffer;
    }

    private void Run()
    {
        var reading = Task.Run(ReadLoopAsync);
        var writing = Task.Run(WriteLoopAsync);
        var keepAlive = Options.KeepAliveInterval is { } interval ? Task.Run(() => KeepAliveLoopAsync(interval)) : Task.CompletedTask;
        _ = Task.WhenAll(reading, writing, keepAlive).ContinueWith(
            static (_, state) =>
            {
                var session = (YamuxSession)state!;
                session._completion.TrySetResult();
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private bool TryEnqueue(OutboundFrame frame)
    {
        if (_outgoing.Writer.TryWrite(frame))
        {
            return true;
        }

        YamuxBuffers.Pool.Return(frame.Buffer);
        return false;
    }

    private void ThrowIfNoNewStreams()
    {
        lock (_lock)
        {
            if (_isClosed || _remoteGoAway || _localGoAway)
            {
                throw new YamuxSessionClosedException(NoNewStreamsMessage(), TerminationReason);
            }
        }
    }

    private string NoNewStreamsMessage() =>
        _isClosed ? string.Create(CultureInfo.InvariantCulture, $"The yamux session is closed: {CloseReason}")
        : _remoteGoAway ? "The remote peer sent GoAway; the yamux session opens no new streams."
        : "This side sent GoAway; the yamux session opens no new streams.";

    /// <summary>
    /// Ends the session once: records the reason, queues the GoAway (if any) behind the frames already queued,
    /// stops the write queue, and fails every stream, pending accept and ping.
    /// </summary>
    private void Terminate(string reason, Exception? error, YamuxGoAwayCode? goAway, LogLevel level)
    {
        YamuxStream[] streams;
        TaskCompletionSource[] pings;
        lock (_lock)
        {
            if (_isClosed)
            {
                return;
            }

            _isClosed = true;
            Volatile.Write(ref _closeReason, reason);
            Volatile.Write(ref _terminationReason, error);
            streams = [.. _streams.Values];
            _streams.Clear();
            pings = [.. _pings.Values];
            _pings.Clear();
        }

        if (error is Libp2pProtocolException)
        {
            _logger.YamuxProtocolViolation(reason);
        }
        else if (level >= LogLevel.Warning)
        {
            _logger.YamuxSessionFailed(reason, error);
        }
        else
        {
            _logger.YamuxSessionClosed(reason);
        }

        if (goAway is { } code)
        {
            TryEnqueue(new OutboundFrame(BuildControlFrame(YamuxFrameType.GoAway, YamuxFlags.None, 0, (uint)code),
                YamuxHeader.Size, null, FrameKind.Control));
        }

        _outgoing.Writer.TryComplete();
        _acceptQueue.Writer.TryComplete();
        try
        {
            _closed.Cancel();
            _writeAbort.CancelAfter(Options.CloseTimeout);
        }
        catch (ObjectDisposedException)
        {
            // The loops have already finished.
        }

        var closedError = ClosedException();
        foreach (var stream in streams)
        {
            stream.OnSessionClosed(closedError);
        }

        foreach (var ping in pings)
        {
            ping.TrySetException(closedError);
        }
    }

    private void ProtocolError(string reason) =>
        Terminate(reason, new Libp2pProtocolException(reason), YamuxGoAwayCode.ProtocolError, LogLevel.Warning);

    /// <summary>
    /// The only writer of the transport. Frames queued together leave together: small frames are copied into one
    /// batch buffer, and data frames are passed as they are; the pieces (at most <see cref="MaxPiecesPerWrite"/>)
    /// then go out in one transport write. Over Noise that is one Noise frame per piece and one socket write per
    /// batch (<see cref="NoiseStream.WriteFramesAsync"/>), instead of a socket write per 64 KiB frame.
    /// </summary>
    private async Task WriteLoopAsync()
    {
        var reader = _outgoing.Reader;
        var noise = _transport as NoiseStream;
        var batch = YamuxBuffers.Pool.Rent(BatchSize);
        var batchLength = 0;

        // The batch's place in pieces, or -1 while no small frame is pending. Small frames join the batch only while
        // it is the last piece, so that frames stay in queue order.
        var batchIndex = -1;
        var pieces = new List<ReadOnlyMemory<byte>>(MaxPiecesPerWrite);
        var dataBuffers = new List<byte[]>(MaxPiecesPerWrite);
        var pendingWritten = new List<TaskCompletionSource>();
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var frame))
                {
                    if (frame.Kind != FrameKind.Data)
                    {
                        Interlocked.Decrement(ref frame.Kind == FrameKind.Pong ? ref _queuedPongs : ref _queuedControlFrames);
                    }

                    if (frame.Written is not null)
                    {
                        pendingWritten.Add(frame.Written);
                    }

                    if (frame.Length <= SmallFrameSize)
                    {
                        if ((batchIndex >= 0 && batchIndex != pieces.Count - 1) || batchLength + frame.Length > batch.Length)
                        {
                            await FlushAsync().ConfigureAwait(false);
                        }

                        if (batchIndex < 0)
                        {
                            batchIndex = pieces.Count;
                            pieces.Add(default);
                        }

                        frame.Buffer.AsSpan(0, frame.Length).CopyTo(batch.AsSpan(batchLength));
                        batchLength += frame.Length;
                        pieces[batchIndex] = batch.AsMemory(0, batchLength);
                        YamuxBuffers.Pool.Return(frame.Buffer);
                    }
                    else
                    {
                        pieces.Add(frame.Buffer.AsMemory(0, frame.Length));
                        dataBuffers.Add(frame.Buffer);
                    }

                    if (pieces.Count >= MaxPiecesPerWrite)
                    {
                        await FlushAsync().ConfigureAwait(false);
                    }
                }

                if (pieces.Count > 0)
                {
                    await FlushAsync().ConfigureAwait(false);
                }

                await _transport.FlushAsync(_writeAbort.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            Terminate(WriteFailureReason(ex), ex, null, LogLevel.Warning);
            var closedError = ClosedException();
            foreach (var written in pendingWritten)
            {
                written.TrySetException(closedError);
            }

            while (reader.TryRead(out var frame))
            {
                YamuxBuffers.Pool.Return(frame.Buffer);
                frame.Written?.TrySetException(closedError);
            }
        }
        finally
        {
            foreach (var buffer in dataBuffers)
            {
                YamuxBuffers.Pool.Return(buffer);
            }

            YamuxBuffers.Pool.Return(batch);
            await CloseTransportAsync().ConfigureAwait(false);
        }

        async ValueTask FlushAsync()
        {
            if (noise is not null)
            {
                await noise.WriteFramesAsync(pieces, _writeAbort.Token).ConfigureAwait(false);
            }
            else
            {
                foreach (var piece in pieces)
                {
                    await _transport.WriteAsync(piece, _writeAbort.Token).ConfigureAwait(false);
                }
            }

            foreach (var buffer in dataBuffers)
            {
                YamuxBuffers.Pool.Return(buffer);
            }

            dataBuffers.Clear();
            pieces.Clear();
            batchLength = 0;
            batchIndex = -1;
            foreach (var written in pendingWritten)
            {
                written.TrySetResult();
            }

            pendingWritten.Clear();
        }
    }

    private string WriteFailureReason(Exception ex) =>
        _writeAbort.IsCancellationRequested && ex is OperationCanceledException
            ? "Writing to the transport did not finish within the close timeout."
            : string.Create(CultureInfo.InvariantCulture, $"Writing to the transport failed: {ex.Message}");

    private async Task CloseTransportAsync()
    {
        try
        {
            await _transport.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // Closing a broken connection may fail; the session is over either way.
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            var token = _closed.Token;
            while (!token.IsCancellationRequested)
            {
                var buffered = _rxEnd - _rxStart;
                if (buffered < YamuxHeader.Size)
                {
                    // Move the partial header (under 12 bytes) to the front and fill the rest of the buffer.
                    _rx.AsSpan(_rxStart, buffered).CopyTo(_rx);
                    _rxStart = 0;
                    _rxEnd = buffered;
                    var read = await _transport.ReadAtLeastAsync(_rx.AsMemory(_rxEnd), YamuxHeader.Size - buffered, throwOnEndOfStream: false, token)
                        .ConfigureAwait(false);
                    _rxEnd += read;
                    buffered += read;
                    if (read == 0 && buffered == 0)
                    {
                        Terminate("The remote peer closed the connection.", null, null, LogLevel.Debug);
                        return;
                    }

                    if (buffered < YamuxHeader.Size)
                    {
                        ProtocolError(string.Create(CultureInfo.InvariantCulture,
                            $"The connection ended inside a yamux frame header ({buffered} of {YamuxHeader.Size} bytes)."));
                        return;
                    }
                }

                YamuxHeader.TryRead(_rx.AsSpan(_rxStart, YamuxHeader.Size), out var header);
                _rxStart += YamuxHeader.Size;
                if (!await HandleFrameAsync(header, token).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (EndOfStreamException)
        {
            ProtocolError("The connection ended inside a yamux data frame.");
        }
        catch (OperationCanceledException) when (_closed.IsCancellationRequested)
        {
            // Terminated elsewhere.
        }
        catch (Exception ex)
        {
            Terminate(string.Create(CultureInfo.InvariantCulture, $"Reading from the transport failed: {ex.Message}"),
                ex, null, IsClosed ? LogLevel.Debug : LogLevel.Warning);
        }
        finally
        {
            YamuxBuffers.Pool.Return(_rx);
        }
    }

    /// <summary>Handles one frame; false when it ended the session.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> HandleFrameAsync(YamuxHeader header, CancellationToken cancellationToken)
    {
        if (header.Version != YamuxHeader.ProtocolVersion)
        {
            ProtocolError(string.Create(CultureInfo.InvariantCulture,
                $"Unsupported yamux version {header.Version} (only version 0 exists)."));
            return false;
        }

        switch (header.Type)
        {
            case YamuxFrameType.Data:
            case YamuxFrameType.WindowUpdate:
                return await HandleStreamFrameAsync(header, cancellationToken).ConfigureAwait(false);
            case YamuxFrameType.Ping:
                return HandlePing(header);
            case YamuxFrameType.GoAway:
                return HandleGoAway(header);
            default:
                ProtocolError(string.Create(CultureInfo.InvariantCulture,
                    $"Unknown yamux frame type {(byte)header.Type}."));
                return false;
        }
    }

    private bool HandlePing(YamuxHeader header)
    {
        if (header.StreamId != 0)
        {
            ProtocolError(string.Create(CultureInfo.InvariantCulture,
                $"Yamux ping on stream {header.StreamId}; pings belong to stream 0."));
            return false;
        }

        if ((header.Flags & YamuxFlags.Syn) != 0)
        {
            // Answer at once with the same opaque value, or the peer drops the session (research §2.6).
            if (Interlocked.Increment(ref _queuedPongs) > MaxQueuedPongs)
            {
                Interlocked.Decrement(ref _queuedPongs);
                _logger.YamuxPingDropped(header.Length);
                return true;
            }

            var buffer = BuildControlFrame(YamuxFrameType.Ping, YamuxFlags.Ack, 0, header.Length);
            if (!TryEnqueue(new OutboundFrame(buffer, YamuxHeader.Size, null, FrameKind.Pong)))
            {
                Interlocked.Decrement(ref _queuedPongs);
            }
        }
        else if ((header.Flags & YamuxFlags.Ack) != 0)
        {
            TaskCompletionSource? reply;
            lock (_lock)
            {
                _pings.Remove(header.Length, out reply);
            }

            reply?.TrySetResult();
        }

        return true;
    }

    private bool HandleGoAway(YamuxHeader header)
    {
        if (header.StreamId != 0)
        {
            ProtocolError(string.Create(CultureInfo.InvariantCulture,
                $"Yamux GoAway on stream {header.StreamId}; GoAway belongs to stream 0."));
            return false;
        }

        lock (_lock)
        {
            _remoteGoAway = true;
        }

        // Existing streams finish; only new ones are refused (yamux spec, GoAway).
        _logger.YamuxGoAwayReceived(header.Length);
        return true;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> HandleStreamFrameAsync(YamuxHeader header, CancellationToken cancellationToken)
    {
        var id = header.StreamId;
        var kind = header.Type == YamuxFrameType.Data ? "data" : "window update";
        if (id == 0)
        {
            ProtocolError(string.Create(CultureInfo.InvariantCulture, $"Yamux {kind} frame on stream 0."));
            return false;
        }

        YamuxStream? stream;
        var isNew = false;
        string? error = null;
        string? rejection = null;
        lock (_lock)
        {
            if ((header.Flags & YamuxFlags.Syn) != 0)
            {
                var remoteParity = IsInitiator ? 0u : 1u;
                if ((id & 1) != remoteParity)
                {
                    error = string.Create(CultureInfo.InvariantCulture,
                        $"The remote peer opened yamux stream {id}, an id of the wrong parity (it is the {(IsInitiator ? "responder" : "initiator")} and must use {(IsInitiator ? "even" : "odd")} ids).");
                }
                else if (_streams.ContainsKey(id))
                {
                    error = string.Create(CultureInfo.InvariantCulture,
                        $"SYN for yamux stream {id}, an id already in use.");
                }
                else
                {
                    // Ids normally grow, but a peer's concurrent opens may put SYNs on the wire out of order, so
                    // only a live id counts as reused.
                    _highestInboundId = Math.Max(_highestInboundId, id);
                    rejection = _isClosed || _localGoAway ? "this side sent GoAway"
                        : _inboundCount >= Options.MaxInboundStreams ? "MaxInboundStreams reached"
                        : _backlogCount >= Options.AcceptBacklog ? "the accept backlog is full"
                        : null;
                }

                if (error is null && rejection is null)
                {
                    stream = new YamuxStream(this, id, isOutbound: false, Options.InitialStreamWindow);
                    _streams.Add(id, stream);
                    _inboundCount++;
                    _backlogCount++;
                    Interlocked.Add(ref _reservedWindow, Options.InitialStreamWindow);
                    isNew = true;
                }
                else
                {
                    stream = null;
                    if (rejection is not null)
                    {
                        // The peer may send up to the spec window before it sees our RST.
                        _discardBudget += YamuxOptions.SpecInitialWindow;
                    }
                }
            }
            else if (!_streams.TryGetValue(id, out stream) && NeverOpened(id))
            {
                error = string.Create(CultureInfo.InvariantCulture,
                    $"Yamux {kind} frame for stream {id}, which was never opened.");
            }
        }

        if (error is not null)
        {
            ProtocolError(error);
            return false;
        }

        if (rejection is not null)
        {
            _logger.YamuxInboundStreamRejected(id, rejection);
            TryEnqueueControl(YamuxFrameType.WindowUpdate, YamuxFlags.Rst, id, 0);
        }

        if (isNew)
        {
            _acceptQueue.Writer.TryWrite(stream!);
        }

        if ((header.Flags & YamuxFlags.Ack) != 0)
        {
            stream?.OnRemoteAck();
        }

        if (header.Type == YamuxFrameType.Data)
        {
            if (!await HandleDataAsync(header, stream, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }
        else if (stream is not null && header.Length != 0 && !stream.OnRemoteWindowUpdate(header.Length))
        {
            ProtocolError(string.Create(CultureInfo.InvariantCulture,
                $"Yamux window update on stream {id} overflows the send window."));
            return false;
        }

        if ((header.Flags & YamuxFlags.Rst) != 0)
        {
            stream?.OnRemoteReset();
        }
        else if ((header.Flags & YamuxFlags.Fin) != 0)
        {
            stream?.OnRemoteFin();
        }

        return true;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> HandleDataAsync(YamuxHeader header, YamuxStream? stream, CancellationToken cancellationToken)
    {
        var length = header.Length;
        if (length == 0)
        {
            return true;
        }

        if (stream is not null)
        {
            switch (stream.TryReserveReceive(length, out var available))
            {
                case YamuxStream.ReceiveDecision.Violation:
                    ProtocolError(string.Create(CultureInfo.InvariantCulture,
                        $"The remote peer sent {length} bytes on yamux stream {header.StreamId}, beyond its receive window of {available} bytes."));
                    return false;
                case YamuxStream.ReceiveDecision.Discard:
                    await DiscardAsync(length, cancellationToken).ConfigureAwait(false);
                    stream.OnDiscarded((int)length);
                    return true;
            }

            if (AddBuffered(length) > Options.MaxBufferedBytes)
            {
                AddBuffered(-(long)length);
                Terminate(string.Create(CultureInfo.InvariantCulture,
                        $"More than MaxBufferedBytes ({Options.MaxBufferedBytes}) received bytes are waiting to be read."),
                    null, YamuxGoAwayCode.InternalError, LogLevel.Warning);
                return false;
            }

            var payload = (int)length;
            var buffered = _rxEnd - _rxStart;
            if (buffered >= payload && payload >= buffered - payload && payload > SmallFrameSize)
            {
                // The payload is all (or most) of what was read: hand the read buffer itself to the stream and carry
                // the rest (at most the payload's size) over to a fresh one.
                var segment = _rx;
                var offset = _rxStart;
                var next = YamuxBuffers.Pool.Rent(YamuxBuffers.MaxArrayLength);
                var rest = buffered - payload;
                segment.AsSpan(offset + payload, rest).CopyTo(next);
                _rx = next;
                _rxStart = 0;
                _rxEnd = rest;
                stream.Deliver(segment, offset, payload);
                return true;
            }

            var buffer = YamuxBuffers.Pool.Rent(payload);
            try
            {
                await ReadPayloadAsync(buffer.AsMemory(0, payload), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                AddBuffered(-(long)length);
                YamuxBuffers.Pool.Return(buffer);
                throw;
            }

            stream.Deliver(buffer, 0, payload);
            return true;
        }

        // Data for a stream already closed or reset here: it may have been in flight, so it is read and dropped,
        // but only up to the window the peer still had when the stream ended.
        bool fits;
        lock (_lock)
        {
            fits = length <= _discardBudget;
            if (fits)
            {
                _discardBudget -= length;
            }
        }

        if (!fits)
        {
            ProtocolError(string.Create(CultureInfo.InvariantCulture,
                $"The remote peer sent {length} bytes on closed yamux stream {header.StreamId}, beyond the window it had left."));
            return false;
        }

        await DiscardAsync(length, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Fills <paramref name="destination"/> with the next payload bytes: the buffered ones first, then the transport's.</summary>
    private async ValueTask ReadPayloadAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        var fromBuffer = Math.Min(destination.Length, _rxEnd - _rxStart);
        _rx.AsSpan(_rxStart, fromBuffer).CopyTo(destination.Span);
        _rxStart += fromBuffer;
        if (fromBuffer < destination.Length)
        {
            await _transport.ReadExactlyAsync(destination[fromBuffer..], cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask DiscardAsync(uint length, CancellationToken cancellationToken)
    {
        var fromBuffer = (int)Math.Min(length, (uint)(_rxEnd - _rxStart));
        _rxStart += fromBuffer;
        length -= (uint)fromBuffer;
        if (length == 0)
        {
            return;
        }

        var scratch = YamuxBuffers.Pool.Rent((int)Math.Min(length, DiscardChunk));
        try
        {
            var remaining = length;
            while (remaining > 0)
            {
                var chunk = (int)Math.Min(remaining, (uint)scratch.Length);
                await _transport.ReadExactlyAsync(scratch.AsMemory(0, chunk), cancellationToken).ConfigureAwait(false);
                remaining -= (uint)chunk;
            }
        }
        finally
        {
            YamuxBuffers.Pool.Return(scratch);
        }
    }

    private bool NeverOpened(uint id)
    {
        var ourParity = IsInitiator ? 1u : 0u;
        return (id & 1) == ourParity ? id >= _nextOutboundId : id > _highestInboundId;
    }

    private async Task KeepAliveLoopAsync(TimeSpan interval)
    {
        var token = _closed.Token;
        using var timer = new PeriodicTimer(interval, _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(Options.KeepAliveTimeout);
                try
                {
                    await PingAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    Terminate(string.Create(CultureInfo.InvariantCulture,
                            $"The keepalive ping got no reply within {Options.KeepAliveTimeout}."),
                        null, null, LogLevel.Warning);
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or YamuxSessionClosedException)
        {
            // The session ended.
        }
    }

    private enum FrameKind : byte
    {
        Data,
        Control,
        Pong,
    }

    private readonly record struct OutboundFrame(byte[] Buffer, int Length, TaskCompletionSource? Written, FrameKind Kind);
}
