// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf;
using Grpc.Core;
using KwaaiNet.Contracts.Inbound.V1;

namespace KwaaiNet.Petals.Serving;

/// <summary>
/// The duplex byte stream of one libp2p stream the p2p-gateway relays to <c>InboundHandler.HandleStream</c>: reads
/// the gateway's data frames (its close frame, or the end of the call, is EOF), writes data frames of at most 64 KiB.
/// </summary>
internal sealed class InboundFrameStream(IAsyncStreamReader<InboundFrame> requests, IServerStreamWriter<InboundFrame> responses) : Stream
{
    /// <summary>The largest data frame written, as the gateway's relay chunks.</summary>
    public const int Chunk = 64 * 1024;

    private ReadOnlyMemory<byte> _pending;
    private bool _ended;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_pending.IsEmpty)
        {
            if (_ended || !await requests.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                _ended = true;
                return 0;
            }

            var frame = requests.Current;
            if (frame.FrameCase == InboundFrame.FrameOneofCase.Data)
            {
                _pending = frame.Data.Memory;
            }
            else if (frame.FrameCase == InboundFrame.FrameOneofCase.Close)
            {
                _ended = true;
            }
        }

        var count = Math.Min(buffer.Length, _pending.Length);
        _pending.Span[..count].CopyTo(buffer.Span);
        _pending = _pending[count..];
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        for (var start = 0; start < buffer.Length; start += Chunk)
        {
            var part = buffer.Slice(start, Math.Min(Chunk, buffer.Length - start));
            await responses.WriteAsync(new InboundFrame { Data = ByteString.CopyFrom(part.Span) }, cancellationToken).ConfigureAwait(false);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Sends the close frame: the gateway half-closes the libp2p stream.</summary>
    public Task CompleteWritesAsync(CancellationToken cancellationToken) =>
        responses.WriteAsync(new InboundFrame { Close = new InboundClose() }, cancellationToken);

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("The relayed stream is read asynchronously.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("The relayed stream is written asynchronously.");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
