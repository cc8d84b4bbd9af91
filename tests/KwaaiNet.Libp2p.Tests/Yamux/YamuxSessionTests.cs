// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text;
using KwaaiNet.Libp2p.Yamux;
using KwaaiNet.Testing;
using static KwaaiNet.Libp2p.Tests.Yamux.YamuxTestKit;

namespace KwaaiNet.Libp2p.Tests.Yamux;

/// <summary>Two of our sessions talking over a real loopback TCP connection.</summary>
public sealed class YamuxSessionTests
{
    [Fact]
    public async Task OpenStreamAsync_InitiatorOpens_DataFlowsBothWays()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var pair = await YamuxPair.CreateAsync(ct);

        await using var outbound = await pair.Client.OpenStreamAsync(ct);
        await outbound.WriteAsync("hello"u8.ToArray(), ct);
        await using var inbound = await pair.Server.AcceptStreamAsync(ct);

        Assert.Equal(outbound.Id, inbound.Id);
        Assert.True(outbound.IsOutbound);
        Assert.False(inbound.IsOutbound);
        Assert.Equal("hello", Encoding.ASCII.GetString(await ReadExactlyAsync(inbound, 5, ct)));
        await inbound.WriteAsync("world!"u8.ToArray(), ct);
        Assert.Equal("world!", Encoding.ASCII.GetString(await ReadExactlyAsync(outbound, 6, ct)));
    }

    [Fact]
    public async Task OpenStreamAsync_BothSides_InitiatorUsesOddIdsResponderEven()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var pair = await YamuxPair.CreateAsync(ct);

        await using var c1 = await pair.Client.OpenStreamAsync(ct);
        await using var c2 = await pair.Client.OpenStreamAsync(ct);
        await using var s1 = await pair.Server.OpenStreamAsync(ct);
        await using var s2 = await pair.Server.OpenStreamAsync(ct);
        await s2.WriteAsync("from the responder"u8.ToArray(), ct);

        uint[] ids = [c1.Id, c2.Id, s1.Id, s2.Id];
        Assert.Equal([1u, 3u, 2u, 4u], ids);
        await using var accepted1 = await pair.Client.AcceptStreamAsync(ct);
        await using var accepted2 = await pair.Client.AcceptStreamAsync(ct);
        Assert.Equal(2u, accepted1.Id);
        Assert.Equal(4u, accepted2.Id);
        Assert.Equal("from the responder", Encoding.ASCII.GetString(await ReadExactlyAsync(accepted2, 18, ct)));
    }

    [Fact]
    public async Task CompleteWritesAsync_HalfClose_PeerReadsEndWhileReverseDirectionStillWorks()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var pair = await YamuxPair.CreateAsync(ct);
        await using var outbound = await pair.Client.OpenStreamAsync(ct);
        await outbound.WriteAsync("request"u8.ToArray(), ct);
        await outbound.CompleteWritesAsync();
        await using var inbound = await pair.Server.AcceptStreamAsync(ct);

        Assert.Equal("request", Encoding.ASCII.GetString(await ReadAllAsync(inbound, ct)));
        Assert.Equal(0, await inbound.ReadAsync(new byte[8], ct));

        await inbound.WriteAsync("response"u8.ToArray(), ct);
        await inbound.CompleteWritesAsync();
        Assert.Equal("response", Encoding.ASCII.GetString(await ReadAllAsync(outbound, ct)));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await outbound.WriteAsync(new byte[1], ct));

        // Closed both ways: the stream is gone from both sessions.
        await EventuallyAsync(() => pair.Client.ActiveStreams == 0 && pair.Server.ActiveStreams == 0, ct);
    }

    [Fact]
    public async Task Reset_RemoteSide_ReadAndWriteThrowReset()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var pair = await YamuxPair.CreateAsync(ct);
        await using var outbound = await pair.Client.OpenStreamAsync(ct);
        await outbound.WriteAsync("x"u8.ToArray(), ct);
        await using var inbound = await pair.Server.AcceptStreamAsync(ct);
        Assert.Equal(1, await inbound.ReadAsync(new byte[1], ct));

        outbound.Reset();

        await Assert.ThrowsAsync<YamuxStreamResetException>(() => inbound.ReadExactlyAsync(new byte[1], ct).AsTask());
        await Assert.ThrowsAsync<YamuxStreamResetException>(async () => await inbound.WriteAsync(new byte[1], ct));
        await Assert.ThrowsAsync<YamuxStreamResetException>(() => outbound.ReadExactlyAsync(new byte[1], ct).AsTask());
        await EventuallyAsync(() => pair.Client.ActiveStreams == 0 && pair.Server.ActiveStreams == 0, ct);
        Assert.False(pair.Client.IsClosed);
        Assert.False(pair.Server.IsClosed);
    }

    [Fact]
    public async Task ReadAsync_OneStreamUnread_OtherStreamsKeepFlowing()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var pair = await YamuxPair.CreateAsync(ct);
        var stalled = Data(YamuxOptions.SpecInitialWindow, seed: 7);
        await using var slow = await pair.Client.OpenStreamAsync(ct);
        await slow.WriteAsync(stalled, ct);
        await slow.FlushAsync(ct);
        await using var slowInbound = await pair.Server.AcceptStreamAsync(ct);

        // The slow stream's whole window sits unread on the server; another stream still gets through.
        await using var fast = await pair.Client.OpenStreamAsync(ct);
        await fast.WriteAsync("still flowing"u8.ToArray(), ct);
        await using var fastInbound = await pair.Server.AcceptStreamAsync(ct);
        Assert.Equal("still flowing", Encoding.ASCII.GetString(await ReadExactlyAsync(fastInbound, 13, ct)));

        var slowReceived = await ReadExactlyAsync(slowInbound, stalled.Length, ct);
        Assert.True(stalled.AsSpan().SequenceEqual(slowReceived));
    }

    [Fact]
    public async Task WriteAsync_16MiBThroughOneStream_ArrivesIntactAndWindowGrows()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var pair = await YamuxPair.CreateAsync(ct);
        var data = Data(16 * 1024 * 1024, seed: 16);
        await using var outbound = await pair.Client.OpenStreamAsync(ct);

        var writing = Task.Run(async () =>
        {
            // Uneven write sizes, so that frames and window updates do not line up with the writes.
            for (var offset = 0; offset < data.Length;)
            {
                var count = Math.Min(data.Length - offset, 100_000 + (offset % 7 * 10_000));
                await outbound.WriteAsync(data.AsMemory(offset, count), ct);
                offset += count;
            }

            await outbound.CompleteWritesAsync();
        }, ct);
        await using var inbound = await pair.Server.AcceptStreamAsync(ct);
        var received = await ReadAllAsync(inbound, ct);
        await writing;

        Assert.Equal(data.Length, received.Length);
        Assert.True(data.AsSpan().SequenceEqual(received), "the 16 MiB arrived changed");
        Assert.True(inbound.ReceiveWindow > YamuxOptions.SpecInitialWindow, $"window stayed at {inbound.ReceiveWindow}");
        Assert.True(inbound.ReceiveWindow <= pair.Server.Options.MaxStreamWindow);
    }

    [Fact]
    public async Task OpenStreamAsync_100ConcurrentStreams_256KiBEachWayArriveIntact()
    {
        const int Streams = 100;
        const int Size = 256 * 1024;
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var pair = await YamuxPair.CreateAsync(ct);

        var serving = Task.Run(async () =>
        {
            var handlers = new List<Task>();
            for (var i = 0; i < Streams; i++)
            {
                var stream = await pair.Server.AcceptStreamAsync(ct);
                handlers.Add(Task.Run(async () =>
                {
                    await using (stream)
                    {
                        var send = WriteAndCloseAsync(stream, Data(Size, (int)stream.Id + 1_000_000), ct);
                        var received = await ReadAllAsync(stream, ct);
                        await send;
                        Assert.True(Data(Size, (int)stream.Id).AsSpan().SequenceEqual(received), $"stream {stream.Id} to the server");
                    }
                }, ct));
            }

            await Task.WhenAll(handlers);
        }, ct);

        var clients = Enumerable.Range(0, Streams).Select(_ => Task.Run(async () =>
        {
            await using var stream = await pair.Client.OpenStreamAsync(ct);
            var send = WriteAndCloseAsync(stream, Data(Size, (int)stream.Id), ct);
            var received = await ReadAllAsync(stream, ct);
            await send;
            Assert.True(Data(Size, (int)stream.Id + 1_000_000).AsSpan().SequenceEqual(received), $"stream {stream.Id} to the client");
        }, ct)).ToArray();

        await Task.WhenAll(clients);
        await serving;
        await EventuallyAsync(() => pair.Client.ActiveStreams == 0 && pair.Server.ActiveStreams == 0, ct);
    }

    [Fact]
    public async Task PingAsync_LivePeer_ReturnsRoundTrip()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var pair = await YamuxPair.CreateAsync(ct);

        var fromClient = await pair.Client.PingAsync(ct);
        var fromServer = await pair.Server.PingAsync(ct);

        Assert.True(fromClient >= TimeSpan.Zero);
        Assert.True(fromServer >= TimeSpan.Zero);
        Assert.False(pair.Client.IsClosed);
    }

    [Fact]
    public async Task GoAwayAsync_Received_NewStreamsRefusedExistingStreamsFinish()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var pair = await YamuxPair.CreateAsync(ct);
        await using var existing = await pair.Client.OpenStreamAsync(ct);
        await existing.WriteAsync("before"u8.ToArray(), ct);
        await using var accepted = await pair.Server.AcceptStreamAsync(ct);

        await pair.Server.GoAwayAsync(YamuxGoAwayCode.Normal);
        await Assert.ThrowsAsync<YamuxSessionClosedException>(async () => await pair.Server.OpenStreamAsync(ct));
        await EventuallyAsync(async () =>
        {
            try
            {
                await using var refused = await pair.Client.OpenStreamAsync(ct);
                refused.Reset();
                return false;
            }
            catch (YamuxSessionClosedException ex)
            {
                return ex.Message.Contains("GoAway", StringComparison.Ordinal);
            }
        }, ct);

        await existing.WriteAsync(" and after"u8.ToArray(), ct);
        await existing.CompleteWritesAsync();
        Assert.Equal("before and after", Encoding.ASCII.GetString(await ReadAllAsync(accepted, ct)));
        Assert.False(pair.Client.IsClosed);
    }

    [Fact]
    public async Task AcceptStreamAsync_MaxInboundStreamsReached_ExtraStreamIsReset()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        var serverOptions = NoKeepAlive();
        serverOptions.MaxInboundStreams = 2;
        await using var pair = await YamuxPair.CreateAsync(ct, serverOptions: serverOptions);

        await using var first = await pair.Client.OpenStreamAsync(ct);
        await using var second = await pair.Client.OpenStreamAsync(ct);
        await using var third = await pair.Client.OpenStreamAsync(ct);

        await Assert.ThrowsAsync<YamuxStreamResetException>(() => third.ReadExactlyAsync(new byte[1], ct).AsTask());
        await using var a = await pair.Server.AcceptStreamAsync(ct);
        await using var b = await pair.Server.AcceptStreamAsync(ct);
        uint[] ids = [a.Id, b.Id];
        Assert.Equal([1u, 3u], ids);
        Assert.Equal(2, pair.Server.ActiveStreams);
        Assert.False(pair.Server.IsClosed);
    }

    [Fact]
    public async Task DisposeAsync_Session_PeerEndsAndAcceptThrows()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var pair = await YamuxPair.CreateAsync(ct);
        await using var outbound = await pair.Client.OpenStreamAsync(ct);
        var pendingAccept = pair.Client.AcceptStreamAsync(ct).AsTask();

        await pair.Server.DisposeAsync();

        await pair.Client.Completion.WaitAsync(ct);
        Assert.True(pair.Client.Completion.IsCompletedSuccessfully);
        Assert.True(pair.Client.IsClosed);
        Assert.NotNull(pair.Client.CloseReason);
        Assert.Equal("The session was closed locally.", pair.Server.CloseReason);
        var error = await Assert.ThrowsAsync<YamuxSessionClosedException>(() => pendingAccept);
        Assert.Contains("closed", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<YamuxSessionClosedException>(async () => await pair.Client.OpenStreamAsync(ct));
        await Assert.ThrowsAsync<IOException>(() => outbound.ReadExactlyAsync(new byte[1], ct).AsTask());
        await Assert.ThrowsAsync<YamuxSessionClosedException>(() => pair.Client.PingAsync(ct));
    }

    [Fact]
    public async Task KeepAlive_PeerNeverAnswers_SessionClosesWithReason()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        var options = new YamuxOptions
        {
            KeepAliveInterval = TimeSpan.FromMilliseconds(50),
            KeepAliveTimeout = TimeSpan.FromMilliseconds(200),
        };
        await using var session = YamuxSession.Start(sockets.Client, isInitiator: true, options);

        // The raw peer reads the ping but never answers it.
        var ping = await ReadExactlyAsync(sockets.Server, 12, ct);
        await session.Completion.WaitAsync(ct);

        Assert.Equal(Hex("00 02 0001 00000000"), ping[..8]);
        Assert.Contains("keepalive", session.CloseReason, StringComparison.Ordinal);
    }

    private static async Task WriteAndCloseAsync(YamuxStream stream, byte[] data, CancellationToken cancellationToken)
    {
        for (var offset = 0; offset < data.Length; offset += 50_000)
        {
            await stream.WriteAsync(data.AsMemory(offset, Math.Min(50_000, data.Length - offset)), cancellationToken);
        }

        await stream.CompleteWritesAsync();
    }
}
