// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf;
using Grpc.Core;
using KwaaiNet.Contracts.Gateway.V1;

namespace KwaaiNet.Petals.Gateway;

/// <summary>
/// A libp2p stream opened through the gateway's gRPC <c>OpenStream</c>, as a duplex <see cref="Stream"/>: writes go out
/// as data frames, reads take the data frames that come back, and the gateway's close frame (or the end of the call)
/// is the end of the stream. A call that fails (the peer could not be dialled, reset the stream) is an
/// <see cref="IOException"/> carrying the gateway's reason. Disposing it cancels the call, which closes the stream.
/// </summary>
internal sealed class GatewayStream : Stream
{
    /// <summary>Largest data frame written in one gRPC message (the gateway relays 64 KiB frames too).</summary>
    private const int Chunk = 64 * 1024;

    private readonly AsyncDuplexStreamingCall<StreamFrame, StreamFrame> _call;
    private readonly string _peerId;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private ReadOnlyMemory<byte> _pending;
    private bool _ended;
    private int _disposed;

    /// <summary>Wraps a call whose open frame has been written.</summary>
    public GatewayStream(AsyncDuplexStreamingCall<StreamFrame, StreamFrame> call, string peerId)
    {
        _call = call;
        _peerId = peerId;
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        while (_pending.IsEmpty)
        {
            if (_ended || buffer.IsEmpty)
            {
                return 0;
            }

            try
            {
                if (!await _call.ResponseStream.MoveNext(cancellationToken))
                {
                    _ended = true;
                    return 0;
                }
            }
            catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !cancellationToken.IsCancellationRequested)
            {
                throw new IOException("The stream to " + _peerId + " through the gateway failed (" + ex.StatusCode + "): " + ex.Status.Detail, ex);
            }

            var frame = _call.ResponseStream.Current;
            if (frame.FrameCase == StreamFrame.FrameOneofCase.Data)
            {
                _pending = frame.Data.Memory;
            }
            else if (frame.FrameCase == StreamFrame.FrameOneofCase.Close)
            {
                _ended = true;
            }
        }

        var count = Math.Min(buffer.Length, _pending.Length);
        _pending[..count].CopyTo(buffer);
        _pending = _pending[count..];
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("The gateway stream is asynchronous only.");

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            for (var offset = 0; offset < buffer.Length; offset += Chunk)
            {
                var part = buffer.Slice(offset, Math.Min(Chunk, buffer.Length - offset));
                await _call.RequestStream.WriteAsync(new StreamFrame { Data = ByteString.CopyFrom(part.Span) }, cancellationToken);
            }
        }
        catch (RpcException ex)
        {
            throw new IOException("Writing to " + _peerId + " through the gateway failed (" + ex.StatusCode + "): " + ex.Status.Detail, ex);
        }
        catch (InvalidOperationException ex)
        {
            // The call has already completed (the gateway ended it): there is no one left to write to.
            throw new IOException("The stream to " + _peerId + " through the gateway has ended.", ex);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("The gateway stream is asynchronous only.");

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _call.Dispose();
            _writeLock.Dispose();
        }

        base.Dispose(disposing);
    }
}
