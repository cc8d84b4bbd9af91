// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Binary;
using KwaaiNet.Libp2p.Yamux;
using KwaaiNet.Testing;

namespace KwaaiNet.Libp2p.Tests.Yamux;

/// <summary>Shared pieces of the yamux tests: bounded tokens, hand-built frames, session pairs on loopback.</summary>
internal static class YamuxTestKit
{
    /// <summary>Every await in these tests is bounded by this, so that a bug fails the test instead of hanging the run.</summary>
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    public static YamuxOptions NoKeepAlive() => new() { KeepAliveInterval = null };

    public static CancellationTokenSource Timeout()
    {
        return TestTimeout.Start(Guard);
    }

    /// <summary>A frame built by hand from the spec layout (research §2.6), independent of the library's codec.</summary>
    public static byte[] Frame(byte type, ushort flags, uint streamId, uint length, ReadOnlySpan<byte> payload = default, byte version = 0)
    {
        var frame = new byte[12 + payload.Length];
        frame[0] = version;
        frame[1] = type;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), flags);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), streamId);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(8), length);
        payload.CopyTo(frame.AsSpan(12));
        return frame;
    }

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static async Task<byte[]> ReadExactlyAsync(Stream stream, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, cancellationToken);
        return buffer;
    }

    /// <summary>Reads until the other side closes the connection (or resets it).</summary>
    public static async Task<byte[]> ReadToEndAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var collected = new MemoryStream();
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await collected.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch (IOException)
        {
            // A reset after the close is as good as the close.
        }

        return collected.ToArray();
    }

    /// <summary>Deterministic test data, different for each seed.</summary>
    public static byte[] Data(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    public static async Task<byte[]> ReadAllAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var collected = new MemoryStream();
        await stream.CopyToAsync(collected, cancellationToken);
        return collected.ToArray();
    }

    /// <summary>Waits, bounded by <see cref="Guard"/>, until <paramref name="condition"/> holds.</summary>
    public static Task EventuallyAsync(Func<bool> condition, CancellationToken cancellationToken) =>
        Poll.UntilAsync(_ => Task.FromResult(condition()), static done => done, Guard, cancellationToken);

    /// <summary>Waits, bounded by <see cref="Guard"/>, until <paramref name="condition"/> holds.</summary>
    public static Task EventuallyAsync(Func<Task<bool>> condition, CancellationToken cancellationToken) =>
        Poll.UntilAsync(_ => condition(), static done => done, Guard, cancellationToken);
}
