// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Noise;
using KwaaiNet.Testing;

namespace KwaaiNet.Libp2p.Tests.Noise;

public sealed class NoiseStreamTests
{
    private static readonly byte[] KeyA = [.. Enumerable.Range(1, 32).Select(static i => (byte)i)];
    private static readonly byte[] KeyB = [.. Enumerable.Range(101, 32).Select(static i => (byte)i)];

    [Theory]
    [InlineData(1, 4096)]
    [InlineData(65519, 4096)]
    [InlineData(65519, 1 << 20)]
    [InlineData(65520, 4096)]
    [InlineData(65520, 1 << 20)]
    [InlineData(5 * 1024 * 1024, 1000)]
    [InlineData(5 * 1024 * 1024, 1 << 20)]
    public async Task WriteAsync_RandomData_RoundTripsBothDirectionsConcurrently(int size, int readChunk)
    {
        using var timeout = NoiseTestPeers.Timeout();
        await using var sockets = await LoopbackSockets.CreateAsync(timeout.Token);
        var (client, server) = await NoiseTestPeers.HandshakeAsync(
            sockets.Client, sockets.Server, NodeIdentity.GenerateEd25519(), NodeIdentity.GenerateEd25519(), null, timeout.Token);
        await using (client)
        await using (server)
        {
            var up = RandomBytes(size, seed: size);
            var down = RandomBytes(size, seed: size + 1);

            var tasks = new[]
            {
                client.Stream.WriteAsync(up, timeout.Token).AsTask(),
                server.Stream.WriteAsync(down, timeout.Token).AsTask(),
                ReadAllAsync(server.Stream, size, readChunk, timeout.Token),
                ReadAllAsync(client.Stream, size, readChunk, timeout.Token),
            };
            await Task.WhenAll(tasks);

            Assert.Equal(up, await (Task<byte[]>)tasks[2]);
            Assert.Equal(down, await (Task<byte[]>)tasks[3]);

            // Each direction counts its own frames of at most 65519 bytes.
            var frames = (ulong)((size + 65518) / 65519);
            Assert.Equal(frames, ((NoiseStream)client.Stream).Sender.Nonce);
            Assert.Equal(frames, ((NoiseStream)client.Stream).Receiver.Nonce);
            Assert.Equal(frames, ((NoiseStream)server.Stream).Sender.Nonce);
        }
    }

    [Fact]
    public async Task Write_SyncApi_RoundTrips()
    {
        using var timeout = NoiseTestPeers.Timeout();
        await using var sockets = await LoopbackSockets.CreateAsync(timeout.Token);
        await using var sender = NoiseStream.CreateFromTransportKeys(sockets.Client, KeyA, KeyB);
        await using var receiver = NoiseStream.CreateFromTransportKeys(sockets.Server, KeyB, KeyA);
        var data = RandomBytes(200_000, seed: 3);

        var reader = Task.Run(() =>
        {
            var received = new byte[data.Length];
            receiver.ReadExactly(received);
            return received;
        }, timeout.Token);
        await Task.Run(() => sender.Write(data), timeout.Token).WaitAsync(timeout.Token);

        Assert.Equal(data, await reader.WaitAsync(timeout.Token));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(65519, 1)]
    [InlineData(65520, 1)]
    [InlineData(15 * 65519, 1)]
    [InlineData(15 * 65519 + 1, 2)]
    [InlineData(5 * 1024 * 1024, 6)]
    public async Task WriteAsync_AnySize_OneTransportWritePerFifteenFrames(int size, int expectedWrites)
    {
        using var timeout = NoiseTestPeers.Timeout();
        await using var sockets = await LoopbackSockets.CreateAsync(timeout.Token);
        var counting = new TamperingStream(sockets.Client);
        await using var sender = NoiseStream.CreateFromTransportKeys(counting, KeyA, KeyB);
        await using var receiver = NoiseStream.CreateFromTransportKeys(sockets.Server, KeyB, KeyA);

        var read = ReadAllAsync(receiver, size, 1 << 16, timeout.Token);
        await sender.WriteAsync(RandomBytes(size, seed: 9), timeout.Token);
        await read;

        Assert.Equal(expectedWrites, counting.WriteCount);
    }

    [Fact]
    public async Task ReadAsync_CleanEndBetweenFrames_ReturnsDataThenZero()
    {
        using var timeout = NoiseTestPeers.Timeout();
        await using var sockets = await LoopbackSockets.CreateAsync(timeout.Token);
        using var cipher = new NoiseTransportCipher(KeyA);
        await using var receiver = NoiseStream.CreateFromTransportKeys(sockets.Server, KeyB, KeyA);

        // An empty frame (a bare tag), then three bytes: the empty frame must not read as the end of the stream.
        var bytes = Seal(cipher, []).Concat(Seal(cipher, [1, 2, 3])).ToArray();
        await NoiseTestPeers.SendAndShutdownAsync(sockets, fromClient: true, bytes, timeout.Token);

        var buffer = new byte[16];
        Assert.Equal(3, await receiver.ReadAsync(buffer, timeout.Token));
        Assert.Equal([1, 2, 3], buffer[..3]);
        Assert.Equal(0, await receiver.ReadAsync(buffer, timeout.Token));
        Assert.Equal(0, await receiver.ReadAsync(buffer, timeout.Token));
    }

    [Theory]
    [InlineData("zero-length", "at least its 16-byte tag")]
    [InlineData("short", "at least its 16-byte tag")]
    [InlineData("truncated", "ended inside a Noise transport frame")]
    [InlineData("header-only", "ended inside a Noise transport frame")]
    [InlineData("wrong-key", "fails to decrypt")]
    [InlineData("replayed", "fails to decrypt")]
    [InlineData("max-size-garbage", "fails to decrypt")]
    public async Task ReadAsync_BadFrame_ThrowsProtocolExceptionAndStaysFailed(string kind, string reason)
    {
        using var timeout = NoiseTestPeers.Timeout();
        await using var sockets = await LoopbackSockets.CreateAsync(timeout.Token);
        await using var receiver = NoiseStream.CreateFromTransportKeys(sockets.Server, KeyB, KeyA);
        using var cipher = new NoiseTransportCipher(kind == "wrong-key" ? KeyB : KeyA);

        var valid = Seal(cipher, [1, 2, 3, 4]);
        byte[] bytes = kind switch
        {
            "zero-length" => [0, 0],
            "short" => [0, 15, .. new byte[15]],
            "truncated" => valid[..^5],
            "header-only" => [0, 100],
            "wrong-key" => valid,
            "replayed" => [.. valid, .. valid],
            "max-size-garbage" => [0xff, 0xff, .. RandomBytes(65535, seed: 5)],
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        await NoiseTestPeers.SendAndShutdownAsync(sockets, fromClient: true, bytes, timeout.Token);

        var buffer = new byte[8];
        if (kind == "replayed")
        {
            Assert.Equal(4, await receiver.ReadAsync(buffer, timeout.Token));
        }

        var ex = await Assert.ThrowsAsync<Libp2pProtocolException>(() => receiver.ReadAsync(buffer, timeout.Token).AsTask());
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<Libp2pProtocolException>(() => receiver.ReadAsync(buffer, timeout.Token).AsTask());
    }

    [Theory]
    [InlineData(0)] // length prefix, high byte: the frame boundary moves
    [InlineData(1)] // length prefix, low byte: the frame claims one byte more than ever comes
    [InlineData(2 + 100)] // ciphertext
    [InlineData(2 + 1000 + 3)] // tag
    public async Task ReadAsync_FlippedBitAfterHandshake_ThrowsProtocolException(int offset)
    {
        using var timeout = NoiseTestPeers.Timeout();
        await using var sockets = await LoopbackSockets.CreateAsync(timeout.Token);
        var tampering = new TamperingStream(sockets.Client);
        var (client, server) = await NoiseTestPeers.HandshakeAsync(
            tampering, sockets.Server, NodeIdentity.GenerateEd25519(), NodeIdentity.GenerateEd25519(), null, timeout.Token);
        await using (server)
        {
            tampering.Arm(offset);
            await client.Stream.WriteAsync(RandomBytes(1000, seed: 1), timeout.Token);
            await client.DisposeAsync();

            await Assert.ThrowsAsync<Libp2pProtocolException>(
                () => ReadAllAsync(server.Stream, 1000, 4096, timeout.Token));
        }
    }

    [Fact]
    public async Task ReadAsync_RandomBytesFuzz_ThrowsOnlyProtocolException()
    {
        var random = new Random(20260503);
        for (var iteration = 0; iteration < 100; iteration++)
        {
            using var timeout = NoiseTestPeers.Timeout();
            await using var sockets = await LoopbackSockets.CreateAsync(timeout.Token);
            await using var receiver = NoiseStream.CreateFromTransportKeys(sockets.Server, KeyB, KeyA);
            var bytes = RandomBytes(random.Next(1, 3000), seed: random.Next());
            await NoiseTestPeers.SendAndShutdownAsync(sockets, fromClient: true, bytes, timeout.Token);

            await Assert.ThrowsAsync<Libp2pProtocolException>(() => ReadAllAsync(receiver, int.MaxValue, 4096, timeout.Token));
        }
    }

    [Fact]
    public void OpenMessage_OutOfRangeLengths_ThrowProtocolException()
    {
        using var cipher = new NoiseTransportCipher(KeyA);

        Assert.Throws<Libp2pProtocolException>(() => cipher.OpenMessage(new byte[15], new byte[15]));
        Assert.Throws<Libp2pProtocolException>(() => cipher.OpenMessage(new byte[65536], new byte[65536]));
        Assert.Equal(0UL, cipher.Nonce);
    }

    [Fact]
    public void GetFramedLength_CountsEighteenBytesPerFrame()
    {
        Assert.Equal(0, NoiseTransportCipher.GetFramedLength(0));
        Assert.Equal(19, NoiseTransportCipher.GetFramedLength(1));
        Assert.Equal(65537, NoiseTransportCipher.GetFramedLength(65519));
        Assert.Equal(65537 + 19, NoiseTransportCipher.GetFramedLength(65520));
    }

    [Fact]
    public async Task WriteAsync_SendNonceExhausted_ThrowsAndRefusesLaterWrites()
    {
        using var timeout = NoiseTestPeers.Timeout();
        await using var sockets = await LoopbackSockets.CreateAsync(timeout.Token);
        await using var sender = NoiseStream.CreateFromTransportKeys(sockets.Client, KeyA, KeyB);
        sender.Sender.State.SetNonceForTesting(ulong.MaxValue);

        await Assert.ThrowsAsync<InvalidOperationException>(() => sender.WriteAsync(new byte[1], timeout.Token).AsTask());
        await Assert.ThrowsAsync<IOException>(() => sender.WriteAsync(new byte[1], timeout.Token).AsTask());
    }

    [Fact]
    public async Task Dispose_ClosesTransport()
    {
        using var timeout = NoiseTestPeers.Timeout();
        await using var sockets = await LoopbackSockets.CreateAsync(timeout.Token);
        var sender = NoiseStream.CreateFromTransportKeys(sockets.Client, KeyA, KeyB);

        await sender.DisposeAsync();

        Assert.False(sender.CanWrite);
        Assert.Equal(0, await sockets.Server.ReadAsync(new byte[1], timeout.Token));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => sender.WriteAsync(new byte[1], timeout.Token).AsTask());
    }

    private static byte[] Seal(NoiseTransportCipher cipher, byte[] plaintext)
    {
        var frame = new byte[Math.Max(NoiseTransportCipher.GetFramedLength(plaintext.Length), 18)];
        if (plaintext.Length == 0)
        {
            // SealFrames writes nothing for nothing; an empty message is still a valid frame on the wire.
            frame[1] = 16;
            cipher.State.Encrypt([], [], frame.AsSpan(2));
            return frame;
        }

        cipher.SealFrames(plaintext, frame);
        return frame;
    }

    private static byte[] RandomBytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream, int size, int chunk, CancellationToken cancellationToken)
    {
        using var received = new MemoryStream();
        var buffer = new byte[chunk];
        while (received.Length < size)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(chunk, size - received.Length)), cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException("The stream ended after " + received.Length + " bytes.");
            }

            await received.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        return received.ToArray();
    }
}
