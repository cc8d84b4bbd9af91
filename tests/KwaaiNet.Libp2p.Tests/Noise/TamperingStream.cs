// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Libp2p.Tests.Noise;

/// <summary>
/// Passes a transport through, counting writes, and when armed flips one bit of the outgoing bytes at a chosen
/// offset (counted from the moment it is armed): a man in the middle corrupting one byte on the wire.
/// </summary>
internal sealed class TamperingStream(Stream inner) : Stream
{
    private long _flipAt = -1;
    private byte _flipMask;
    private long _writtenSinceArmed;

    public int WriteCount { get; private set; }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Flips <paramref name="mask"/> into the byte <paramref name="offset"/> bytes after this call.</summary>
    public void Arm(long offset, byte mask = 0x01)
    {
        _flipAt = offset;
        _flipMask = mask;
        _writtenSinceArmed = 0;
    }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var copy = Tamper(buffer);
        inner.Write(copy);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var copy = Tamper(buffer.Span);
        await inner.WriteAsync(copy, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private byte[] Tamper(ReadOnlySpan<byte> buffer)
    {
        WriteCount++;
        var copy = buffer.ToArray();
        if (_flipAt >= 0)
        {
            var index = _flipAt - _writtenSinceArmed;
            if (index >= 0 && index < copy.Length)
            {
                copy[index] ^= _flipMask;
                _flipAt = -1;
            }

            _writtenSinceArmed += copy.Length;
        }

        return copy;
    }
}
