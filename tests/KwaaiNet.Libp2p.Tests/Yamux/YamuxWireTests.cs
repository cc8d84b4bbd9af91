// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Binary;
using KwaaiNet.Libp2p.Yamux;
using KwaaiNet.Testing;
using static KwaaiNet.Libp2p.Tests.Yamux.YamuxTestKit;

namespace KwaaiNet.Libp2p.Tests.Yamux;

/// <summary>
/// One of our sessions against a test peer that reads and writes raw frames on the socket: the exact bytes of
/// research §2.6's example frames, and how the session handles a peer that breaks the protocol.
/// </summary>
public sealed class YamuxWireTests
{
    private const string GoAwayProtocolError = "00 03 0000 00000000 00000001";

    [Fact]
    public async Task Frames_OpenDataHalfCloseReset_MatchSpecExamples()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        await using var session = YamuxSession.Start(sockets.Client, isInitiator: true, NoKeepAlive());
        var peer = sockets.Server;

        await using var stream = await session.OpenStreamAsync(ct);
        Assert.Equal(Hex("00 01 0001 00000001 00000000"), await ReadExactlyAsync(peer, 12, ct));

        await stream.WriteAsync("hello"u8.ToArray(), ct);
        Assert.Equal(Hex("00 00 0000 00000001 00000005 68656c6c6f"), await ReadExactlyAsync(peer, 17, ct));

        await stream.CompleteWritesAsync();
        Assert.Equal(Hex("00 01 0004 00000001 00000000"), await ReadExactlyAsync(peer, 12, ct));

        var second = await session.OpenStreamAsync(ct);
        second.Reset();
        Assert.Equal(Hex("00 01 0001 00000003 00000000 00 01 0008 00000003 00000000"), await ReadExactlyAsync(peer, 24, ct));
    }

    [Fact]
    public async Task Frames_PingFromPeer_AnsweredWithPongOfSameValue()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        await using var session = YamuxSession.Start(sockets.Server, isInitiator: false, NoKeepAlive());

        await sockets.Client.WriteAsync(Hex("00 02 0001 00000000 0000002a"), ct);

        Assert.Equal(Hex("00 02 0002 00000000 0000002a"), await ReadExactlyAsync(sockets.Client, 12, ct));
    }

    [Fact]
    public async Task PingAsync_PeerEchoes_CompletesWithSpecFrames()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        await using var session = YamuxSession.Start(sockets.Client, isInitiator: true, NoKeepAlive());

        var pinging = session.PingAsync(ct);
        var ping = await ReadExactlyAsync(sockets.Server, 12, ct);
        Assert.Equal(Hex("00 02 0001 00000000"), ping[..8]);
        var opaque = BinaryPrimitives.ReadUInt32BigEndian(ping.AsSpan(8));
        await sockets.Server.WriteAsync(Frame(2, 0x2, 0, opaque), ct);

        Assert.True(await pinging.WaitAsync(ct) >= TimeSpan.Zero);
    }

    [Fact]
    public async Task DisposeAsync_Session_SendsGoAwayNormalThenCloses()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        var session = YamuxSession.Start(sockets.Client, isInitiator: true, NoKeepAlive());

        await session.DisposeAsync().AsTask().WaitAsync(ct);

        Assert.Equal(Hex("00 03 0000 00000000 00000000"), await ReadToEndAsync(sockets.Server, ct));
        Assert.True(session.IsClosed);
        Assert.Null(session.TerminationReason);
    }

    [Fact]
    public async Task Frames_Responder_OpensEvenIdAndAcknowledgesAcceptedStream()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        await using var session = YamuxSession.Start(sockets.Server, isInitiator: false, NoKeepAlive());
        var peer = sockets.Client;

        await using var outbound = await session.OpenStreamAsync(ct);
        Assert.Equal(Hex("00 01 0001 00000002 00000000"), await ReadExactlyAsync(peer, 12, ct));

        // The peer opens stream 1 with SYN on a data frame carrying data; accepting it sends the ACK.
        await peer.WriteAsync(Frame(0, 0x1, 1, 3, "abc"u8), ct);
        await using var inbound = await session.AcceptStreamAsync(ct);
        Assert.Equal(Hex("00 01 0002 00000001 00000000"), await ReadExactlyAsync(peer, 12, ct));
        Assert.Equal("abc"u8.ToArray(), await ReadExactlyAsync(inbound, 3, ct));

        // FIN on a data frame, then RST on a window update: both frame types carry flags.
        await peer.WriteAsync(Frame(0, 0x4, 1, 1, "d"u8), ct);
        Assert.Equal("d"u8.ToArray(), await ReadAllAsync(inbound, ct));
        await peer.WriteAsync(Frame(1, 0x8, 2, 0), ct);
        await Assert.ThrowsAsync<YamuxStreamResetException>(() => outbound.ReadExactlyAsync(new byte[1], ct).AsTask());
    }

    [Fact]
    public async Task WriteAsync_RemoteWindowUsedUp_WaitsForWindowUpdateAndSplitsFrames()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        await using var session = YamuxSession.Start(sockets.Client, isInitiator: true, NoKeepAlive());
        var peer = sockets.Server;
        await using var stream = await session.OpenStreamAsync(ct);
        Assert.Equal(Hex("00 01 0001 00000001 00000000"), await ReadExactlyAsync(peer, 12, ct));
        var data = Data(300 * 1024, seed: 3);

        var writing = stream.WriteAsync(data, ct).AsTask();

        // Exactly the spec's initial 256 KiB window arrives, in frames of at most MaxFramePayload (65507) bytes.
        var received = new MemoryStream();
        while (received.Length < YamuxOptions.SpecInitialWindow)
        {
            var (header, payload) = await ReadDataFrameAsync(peer, ct);
            Assert.Equal(Hex("00 00 0000 00000001"), header[..8]);
            Assert.InRange(payload.Length, 1, 65507);
            await received.WriteAsync(payload, ct);
        }

        Assert.Equal(YamuxOptions.SpecInitialWindow, received.Length);

        // Nothing more is queued: a ping sent now is answered before any further data.
        await peer.WriteAsync(Hex("00 02 0001 00000000 00000063"), ct);
        Assert.Equal(Hex("00 02 0002 00000000 00000063"), await ReadExactlyAsync(peer, 12, ct));
        Assert.False(writing.IsCompleted);

        // The ACK with a window update lets the rest through.
        await peer.WriteAsync(Frame(1, 0x2, 1, 64 * 1024), ct);
        while (received.Length < data.Length)
        {
            var (_, payload) = await ReadDataFrameAsync(peer, ct);
            await received.WriteAsync(payload, ct);
        }

        await writing.WaitAsync(ct);
        Assert.True(data.AsSpan().SequenceEqual(received.ToArray()));
    }

    [Fact]
    public async Task OpenStreamAsync_256Unacknowledged_NextWaitsForAnAck()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        await using var session = YamuxSession.Start(sockets.Client, isInitiator: true, NoKeepAlive());
        var peer = sockets.Server;
        for (var i = 0; i < YamuxSession.MaxUnacknowledgedStreams; i++)
        {
            await session.OpenStreamAsync(ct);
        }

        var next = session.OpenStreamAsync(ct).AsTask();
        await ReadExactlyAsync(peer, 12 * YamuxSession.MaxUnacknowledgedStreams, ct);
        await peer.WriteAsync(Hex("00 02 0001 00000000 00000001"), ct);
        Assert.Equal(Hex("00 02 0002 00000000 00000001"), await ReadExactlyAsync(peer, 12, ct));
        Assert.False(next.IsCompleted);

        await peer.WriteAsync(Frame(1, 0x2, 1, 0), ct);

        var opened = await next.WaitAsync(ct);
        Assert.Equal(2u * YamuxSession.MaxUnacknowledgedStreams + 1, opened.Id);
        Assert.Equal(Frame(1, 0x1, opened.Id, 0), await ReadExactlyAsync(peer, 12, ct));
    }

    [Fact]
    public async Task AcceptStreamAsync_SynsOutOfIdOrder_BothAccepted()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        await using var session = YamuxSession.Start(sockets.Server, isInitiator: false, NoKeepAlive());

        // A peer's concurrent opens may put SYNs on the wire out of id order.
        await sockets.Client.WriteAsync(Hex("00 01 0001 00000003 00000000 00 01 0001 00000001 00000000"), ct);

        await using var first = await session.AcceptStreamAsync(ct);
        await using var second = await session.AcceptStreamAsync(ct);
        uint[] ids = [first.Id, second.Id];
        Assert.Equal([3u, 1u], ids);
        Assert.False(session.IsClosed);
    }

    [Fact]
    public async Task DataOnLocallyResetStream_WithinWindow_IsDiscardedBeyondItClosesSession()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        await using var session = YamuxSession.Start(sockets.Server, isInitiator: false, NoKeepAlive());
        var peer = sockets.Client;
        await peer.WriteAsync(Frame(1, 0x1, 1, 0), ct);
        var inbound = await session.AcceptStreamAsync(ct);
        inbound.Reset();
        Assert.Equal(Hex("00 01 0002 00000001 00000000 00 01 0008 00000001 00000000"), await ReadExactlyAsync(peer, 24, ct));

        // Data that was in flight when the reset left: dropped, the session lives on.
        await peer.WriteAsync(Frame(0, 0, 1, 1000, new byte[1000]), ct);
        await peer.WriteAsync(Hex("00 02 0001 00000000 00000007"), ct);
        Assert.Equal(Hex("00 02 0002 00000000 00000007"), await ReadExactlyAsync(peer, 12, ct));
        Assert.False(session.IsClosed);

        // More than the window the peer had left when the stream was reset.
        await peer.WriteAsync(Frame(0, 0, 1, 256 * 1024, new byte[256 * 1024]), ct);
        await AssertProtocolErrorAsync(sockets, session, "beyond the window it had left", ct);
    }

    [Theory]
    [InlineData("version", "01 00 0000 00000001 00000000", "Unsupported yamux version 1")]
    [InlineData("unknown type", "00 07 0000 00000000 00000000", "Unknown yamux frame type 7")]
    [InlineData("data on stream 0", "00 00 0000 00000000 00000003 616263", "Yamux data frame on stream 0")]
    [InlineData("window update on stream 0", "00 01 0000 00000000 00000010", "Yamux window update frame on stream 0")]
    [InlineData("ping on a stream", "00 02 0001 00000003 00000001", "Yamux ping on stream 3")]
    [InlineData("go away on a stream", "00 03 0000 00000001 00000000", "Yamux GoAway on stream 1")]
    [InlineData("never opened", "00 00 0000 00000005 00000001 ff", "stream 5, which was never opened")]
    [InlineData("our parity unopened", "00 01 0000 00000002 00000001", "stream 2, which was never opened")]
    [InlineData("wrong parity", "00 01 0001 00000002 00000000", "an id of the wrong parity")]
    [InlineData("syn twice", "00 01 0001 00000001 00000000 00 01 0001 00000001 00000000", "SYN for yamux stream 1, an id already in use")]
    [InlineData("garbage", "474554202f20485454502f312e310d0a0d0a", "Unsupported yamux version 71")]
    public async Task BadInput_FromPeer_ClosesSessionWithReason(string what, string hex, string reason)
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        await using var session = YamuxSession.Start(sockets.Server, isInitiator: false, NoKeepAlive());

        await sockets.Client.WriteAsync(Hex(hex), ct);

        Assert.False(string.IsNullOrEmpty(what));
        await AssertProtocolErrorAsync(sockets, session, reason, ct);
    }

    [Fact]
    public async Task BadInput_WindowViolation_ClosesSessionWithReason()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        await using var session = YamuxSession.Start(sockets.Server, isInitiator: false, NoKeepAlive());

        // Stream 1 opened with a full 256 KiB window of data, then one byte more without any window update.
        await sockets.Client.WriteAsync(Frame(0, 0x1, 1, 256 * 1024, new byte[256 * 1024]), ct);
        await sockets.Client.WriteAsync(Frame(0, 0, 1, 1, new byte[1]), ct);

        await AssertProtocolErrorAsync(sockets, session,
            "The remote peer sent 1 bytes on yamux stream 1, beyond its receive window of 0 bytes.", ct);
    }

    [Fact]
    public async Task BadInput_TruncatedHeaderAtEnd_ClosesSessionWithReason()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        await using var session = YamuxSession.Start(sockets.Server, isInitiator: false, NoKeepAlive());

        await sockets.Client.WriteAsync(Hex("00 00 0000 00"), ct);
        sockets.ClientSocket.Shutdown(System.Net.Sockets.SocketShutdown.Send);

        await AssertProtocolErrorAsync(sockets, session, "The connection ended inside a yamux frame header (5 of 12 bytes).", ct);
    }

    [Fact]
    public async Task BadInput_TruncatedDataFrameAtEnd_ClosesSessionWithReason()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        await using var session = YamuxSession.Start(sockets.Server, isInitiator: false, NoKeepAlive());

        await sockets.Client.WriteAsync(Frame(0, 0x1, 1, 100, new byte[10]).AsMemory(0, 22), ct);
        sockets.ClientSocket.Shutdown(System.Net.Sockets.SocketShutdown.Send);

        await AssertProtocolErrorAsync(sockets, session, "The connection ended inside a yamux data frame.", ct);
    }

    [Fact]
    public async Task Frames_SplitAndCoalescedAnyhow_PayloadArrivesIntact()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        await using var session = YamuxSession.Start(sockets.Server, isInitiator: false, NoKeepAlive());
        var big = Data(60_000, 1);
        var small = Data(3, 2);
        var split = Data(30_000, 3);

        // One write: the SYN, a large frame followed by a small one (a buffer handed over with bytes behind it),
        // the small frame, and the first half of a frame whose rest comes later, then a header split in two.
        var first = Frame(1, 0x1, 1, 0).Concat(Frame(0, 0, 1, (uint)big.Length, big)).Concat(Frame(0, 0, 1, (uint)small.Length, small))
            .Concat(Frame(0, 0, 1, (uint)split.Length, split).Take(12 + 15_000)).ToArray();
        await sockets.Client.WriteAsync(first, ct);
        var stream = await session.AcceptStreamAsync(ct);
        await sockets.Client.WriteAsync(split.AsMemory(15_000), ct);
        var fin = Frame(1, 0x4, 1, 0);
        await sockets.Client.WriteAsync(fin.AsMemory(0, 5), ct);
        await Task.Delay(20, ct);
        await sockets.Client.WriteAsync(fin.AsMemory(5), ct);

        var received = await ReadAllAsync(stream, ct);
        Assert.Equal(big.Concat(small).Concat(split).ToArray(), received);
    }

    [Fact]
    public async Task PeerClosesConnection_CleanlyBetweenFrames_SessionEndsWithoutError()
    {
        using var timeout = Timeout();
        var ct = timeout.Token;
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        await using var session = YamuxSession.Start(sockets.Server, isInitiator: false, NoKeepAlive());

        sockets.ClientSocket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        await session.Completion.WaitAsync(ct);

        Assert.Equal("The remote peer closed the connection.", session.CloseReason);
        Assert.Null(session.TerminationReason);
        Assert.Empty(await ReadToEndAsync(sockets.Client, ct));
    }

    private static async Task<(byte[] Header, byte[] Payload)> ReadDataFrameAsync(Stream peer, CancellationToken ct)
    {
        var header = await ReadExactlyAsync(peer, 12, ct);
        Assert.Equal(0, header[1]);
        var length = (int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8));
        return (header, await ReadExactlyAsync(peer, length, ct));
    }

    private static async Task AssertProtocolErrorAsync(LoopbackSockets sockets, YamuxSession session, string reason, CancellationToken ct)
    {
        await session.Completion.WaitAsync(ct);
        Assert.True(session.Completion.IsCompletedSuccessfully);
        Assert.True(session.IsClosed);
        Assert.Contains(reason, session.CloseReason, StringComparison.Ordinal);
        var error = Assert.IsType<Libp2pProtocolException>(session.TerminationReason);
        Assert.Equal(session.CloseReason, error.Message);

        // The peer gets GoAway(protocol error) as the last frame, then the connection closes.
        var rest = await ReadToEndAsync(sockets.Client, ct);
        Assert.True(rest.Length >= 12, $"only {rest.Length} bytes came back");
        Assert.Equal(Hex(GoAwayProtocolError), rest[^12..]);
        await Assert.ThrowsAsync<YamuxSessionClosedException>(async () => await session.AcceptStreamAsync(ct));
    }
}
