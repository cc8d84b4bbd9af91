// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Net.Sockets;
using System.Text;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multistream;
using KwaaiNet.Libp2p.Network;
using KwaaiNet.Libp2p.Noise;
using KwaaiNet.Libp2p.Protocols;
using KwaaiNet.Testing;

namespace KwaaiNet.Libp2p.Tests.Network;

/// <summary>Two or three of our nodes over real loopback TCP: the whole stack, ours against ours.</summary>
public sealed class HostTests
{
    private const string EchoUnary = "kwaainet.test.rpc_echo";

    [Fact]
    public async Task Connect_AuthenticatesBothSides_AndReusesTheConnection()
    {
        var ct = Token();
        await using var a = await TestNode.StartAsync(cancellationToken: ct);
        await using var b = await TestNode.StartAsync(cancellationToken: ct);

        var first = await a.Host.ConnectAsync(b.Address, ct);
        var again = await a.Host.ConnectAsync(b.PeerId, null, ct);

        Assert.Equal(b.PeerId, first.RemotePeer);
        Assert.Same(first, again);
        await Poll.UntilAsync(() => b.Host.FindConnection(a.PeerId) is not null, ct);
        Assert.True(b.Host.FindConnection(a.PeerId)!.IsInbound);
    }

    [Fact]
    public async Task ConcurrentDials_ShareOneConnection()
    {
        var ct = Token();
        await using var a = await TestNode.StartAsync(cancellationToken: ct);
        await using var b = await TestNode.StartAsync(cancellationToken: ct);

        var dials = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => a.Host.ConnectAsync(b.Address, ct)));

        Assert.All(dials, d => Assert.Same(dials[0], d));
        Assert.Single(a.Host.Connections);
    }

    [Fact]
    public async Task Identify_RecordsProtocolsAddressesAndAgent()
    {
        var ct = Token();
        await using var a = await TestNode.StartAsync(cancellationToken: ct);
        await using var b = await TestNode.StartAsync(cancellationToken: ct);

        await a.Host.ConnectAsync(b.Address, ct);

        await Poll.UntilAsync(() => a.Host.PeerStore.GetProtocols(b.PeerId).Contains(KadDht.ProtocolId), ct);
        await Poll.UntilAsync(() => b.Host.PeerStore.GetProtocols(a.PeerId).Contains(PingService.ProtocolId), ct);
        Assert.Contains(IdentifyService.ProtocolId, a.Host.PeerStore.GetProtocols(b.PeerId));
        Assert.Contains(b.Host.ListenAddresses[0], a.Host.PeerStore.GetAddresses(b.PeerId));
        Assert.True(a.Host.PeerStore.TryGet(b.PeerId, out var record));
        Assert.Equal("kwaainet-aspire/test", record.AgentVersion);
    }

    [Fact]
    public async Task IdentifyPush_TellsConnectedPeersAboutNewProtocols()
    {
        var ct = Token();
        await using var a = await TestNode.StartAsync(cancellationToken: ct);
        await using var b = await TestNode.StartAsync(cancellationToken: ct);
        await a.Host.ConnectAsync(b.Address, ct);
        await Poll.UntilAsync(() => a.Host.PeerStore.GetProtocols(b.PeerId).Contains(KadDht.ProtocolId), ct);

        b.Unary.AddHandler("kwaainet.test.rpc_new", static (_, _) => Task.FromResult(UnaryResult.Ok(Array.Empty<byte>())));

        await Poll.UntilAsync(() => a.Host.PeerStore.GetProtocols(b.PeerId).Contains("kwaainet.test.rpc_new"), ct);
    }

    [Fact]
    public async Task Ping_RoundTrips()
    {
        var ct = Token();
        await using var a = await TestNode.StartAsync(cancellationToken: ct);
        await using var b = await TestNode.StartAsync(cancellationToken: ct);
        await a.Host.ConnectAsync(b.Address, ct);

        var rtt = await PingService.PingAsync(a.Host, b.PeerId, ct);

        Assert.True(rtt > TimeSpan.Zero);
    }

    [Fact]
    public async Task WrongPeerIdInTheAddress_FailsTheDial_AndTheNodeKeepsServing()
    {
        var ct = Token();
        await using var a = await TestNode.StartAsync(cancellationToken: ct);
        await using var b = await TestNode.StartAsync(cancellationToken: ct);
        var impostor = NodeIdentity.GenerateEd25519().PeerId;

        var error = await Assert.ThrowsAsync<DialException>(() => a.Host.ConnectAsync(b.Host.ListenAddresses[0].WithPeerId(impostor), ct));

        Assert.IsType<NoisePeerIdMismatchException>(error.InnerException);
        Assert.Empty(a.Host.Connections);
        Assert.Equal(b.PeerId, (await a.Host.ConnectAsync(b.Address, ct)).RemotePeer);
    }

    [Fact]
    public async Task Unary_CarriesTheAuthenticatedCaller_ResponsesAndErrors()
    {
        var ct = Token();
        await using var a = await TestNode.StartAsync(cancellationToken: ct);
        await using var b = await TestNode.StartAsync(cancellationToken: ct);
        PeerId? caller = null;
        b.Unary.AddHandler(EchoUnary, (request, _) =>
        {
            caller = request.Caller;
            return Task.FromResult(request.Data.Span.SequenceEqual("fail"u8)
                ? UnaryResult.Fail("ValueError('fail')")
                : UnaryResult.Ok(request.Data.ToArray().Reverse().ToArray()));
        });
        await a.Host.ConnectAsync(b.Address, ct);

        var response = await a.Unary.CallAsync(b.PeerId, EchoUnary, "abc"u8.ToArray(), ct);
        var error = await Assert.ThrowsAsync<UnaryCallException>(() => a.Unary.CallAsync(b.PeerId, EchoUnary, "fail"u8.ToArray(), ct));
        var empty = await a.Unary.CallAsync(b.PeerId, EchoUnary, Array.Empty<byte>(), ct);

        Assert.Equal("cba"u8.ToArray(), response);
        Assert.Equal("ValueError('fail')", error.Message);
        Assert.Empty(empty);
        Assert.Equal(a.PeerId, caller);
        await Assert.ThrowsAsync<ProtocolNotSupportedException>(() => a.Unary.CallAsync(b.PeerId, "kwaainet.test.missing", "x"u8.ToArray(), ct));
    }

    [Fact]
    public async Task Kad_FindNodeForItsOwnId_IncludesItself()
    {
        var ct = Token();
        await using var a = await TestNode.StartAsync(cancellationToken: ct);
        await using var b = await TestNode.StartAsync(cancellationToken: ct);
        await a.Host.ConnectAsync(b.Address, ct);

        var peers = await a.Kad.FindNodeAsync(b.PeerId, b.PeerId.Multihash, ct);

        var self = Assert.Single(peers, p => p.Id == b.PeerId);
        Assert.Contains(b.Host.ListenAddresses[0], self.Addresses);
    }

    [Fact]
    public async Task Kad_FindsAPeerKnownOnlyById_ThroughAThirdNode()
    {
        var ct = Token();
        await using var a = await TestNode.StartAsync(cancellationToken: ct);
        await using var b = await TestNode.StartAsync(cancellationToken: ct);
        await using var c = await TestNode.StartAsync(cancellationToken: ct);
        await c.Host.ConnectAsync(b.Address, ct);
        await Poll.UntilAsync(() => b.Host.PeerStore.GetProtocols(c.PeerId).Contains(KadDht.ProtocolId), ct);
        await a.Host.ConnectAsync(b.Address, ct);
        await Poll.UntilAsync(() => a.Host.PeerStore.GetProtocols(b.PeerId).Contains(KadDht.ProtocolId), ct);
        Assert.Empty(a.Host.PeerStore.GetAddresses(c.PeerId));

        var connection = await a.Host.ConnectAsync(c.PeerId, null, ct);

        Assert.Equal(c.PeerId, connection.RemotePeer);
        Assert.Equal(c.Host.ListenAddresses[0], connection.RemoteAddress);
    }

    [Fact]
    public async Task UnknownPeerWithoutRoutes_GivesADialErrorNamingIt()
    {
        var ct = Token();
        await using var a = await TestNode.StartAsync(cancellationToken: ct);
        var stranger = NodeIdentity.GenerateEd25519().PeerId;

        var error = await Assert.ThrowsAsync<DialException>(() => a.Host.ConnectAsync(stranger, null, ct));

        Assert.Contains(stranger.ToString(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnaryFrameWithoutCallId_EndsThatStream_AndTheNodeKeepsServing()
    {
        var ct = Token();
        await using var a = await TestNode.StartAsync(cancellationToken: ct);
        await using var b = await TestNode.StartAsync(cancellationToken: ct);
        b.Unary.AddHandler(EchoUnary, static (request, _) => Task.FromResult(UnaryResult.Ok(request.Data)));
        await a.Host.ConnectAsync(b.Address, ct);

        // callUnary {peer, proto, data} without field 1 (callId).
        var bad = new byte[] { 0x1a, 0x06, 0x0a, 0x00, 0x12, 0x00, 0x1a, 0x00 };
        Assert.Empty(await SendRawAsync(a, b, EchoUnary, bad, ct));

        Assert.Equal("ok"u8.ToArray(), await a.Unary.CallAsync(b.PeerId, EchoUnary, "ok"u8.ToArray(), ct));
    }

    public static TheoryData<string, string> BadStreamInput => new()
    {
        { EchoUnary, "ffffffffffffffffffff01" },                   // an invalid varint length
        { EchoUnary, "ffff7f" },                                    // 2 MiB: over this node's 64 KiB unary cap
        { EchoUnary, "050a0100ffff" },                              // a frame that is not a valid protobuf
        { EchoUnary, "0b" + "0a03616263" + "2a04" + "0a020000" },  // a callId of 3 bytes and a cancel
        { KadDht.ProtocolId, "0508ffffffff" },                      // a truncated kad message
        { KadDht.ProtocolId, "020800" },                            // PUT_VALUE: not served
        { IdentifyService.PushProtocolId, "040a0201ff" },           // a public key that is not one
        { PingService.ProtocolId, "0102" },                         // a short ping payload
    };

    [Theory]
    [MemberData(nameof(BadStreamInput))]
    public async Task BadBytesIntoADecoder_EndThatStream_AndTheNodeKeepsServing(string protocol, string hex)
    {
        var ct = Token();
        await using var a = await TestNode.StartAsync(cancellationToken: ct);
        await using var b = await TestNode.StartAsync(cancellationToken: ct);
        b.Unary.AddHandler(EchoUnary, static (request, _) => Task.FromResult(UnaryResult.Ok(request.Data)));
        await a.Host.ConnectAsync(b.Address, ct);

        var reply = await SendRawAsync(a, b, protocol, Convert.FromHexString(hex), ct);

        Assert.Empty(reply);
        Assert.Equal("ok"u8.ToArray(), await a.Unary.CallAsync(b.PeerId, EchoUnary, "ok"u8.ToArray(), ct));
        Assert.True(await PingService.PingAsync(a.Host, b.PeerId, ct) > TimeSpan.Zero);
    }

    [Fact]
    public async Task RandomStreamBytes_NeverTakeTheNodeDown()
    {
        var ct = Token();
        await using var a = await TestNode.StartAsync(cancellationToken: ct);
        await using var b = await TestNode.StartAsync(cancellationToken: ct);
        b.Unary.AddHandler(EchoUnary, static (request, _) => Task.FromResult(UnaryResult.Ok(request.Data)));
        await a.Host.ConnectAsync(b.Address, ct);
        var random = new Random(42);
        string[] protocols = [EchoUnary, KadDht.ProtocolId, IdentifyService.PushProtocolId, PingService.ProtocolId];
        for (var i = 0; i < 40; i++)
        {
            var bytes = new byte[random.Next(1, 300)];
            random.NextBytes(bytes);
            await SendRawAsync(a, b, protocols[i % protocols.Length], bytes, ct);
        }

        Assert.Equal("ok"u8.ToArray(), await a.Unary.CallAsync(b.PeerId, EchoUnary, "ok"u8.ToArray(), ct));
    }

    [Fact]
    public async Task GarbageOnANewTcpConnection_IsDropped_AndTheNodeKeepsServing()
    {
        var ct = Token();
        await using var a = await TestNode.StartAsync(cancellationToken: ct);
        await using var b = await TestNode.StartAsync(cancellationToken: ct);
        b.Host.ListenAddresses[0].TryGetTcpTarget(out var host, out var port);
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(host!, port, ct);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), ct);
            var buffer = new byte[256];
            while (await stream.ReadAsync(buffer, ct) > 0)
            {
            }
        }

        Assert.Equal(b.PeerId, (await a.Host.ConnectAsync(b.Address, ct)).RemotePeer);
    }

    [Fact]
    public async Task IdleConnections_AreClosed()
    {
        var ct = Token();
        await using var a = await TestNode.StartAsync(o => o.IdleTimeout = TimeSpan.FromMilliseconds(400), cancellationToken: ct);
        await using var b = await TestNode.StartAsync(cancellationToken: ct);
        var connection = await a.Host.ConnectAsync(b.Address, ct);

        await connection.Completion.WaitAsync(ct);

        Assert.Null(a.Host.FindConnection(b.PeerId));
    }

    [Fact]
    public async Task ProtectedConnections_OutliveTheIdleTimeout()
    {
        var ct = Token();
        await using var a = await TestNode.StartAsync(o => o.IdleTimeout = TimeSpan.FromMilliseconds(400), cancellationToken: ct);
        await using var b = await TestNode.StartAsync(cancellationToken: ct);
        await using var c = await TestNode.StartAsync(cancellationToken: ct);
        a.Host.Protect(b.PeerId);
        var kept = await a.Host.ConnectAsync(b.Address, ct);
        var idle = await a.Host.ConnectAsync(c.Address, ct);

        // The unprotected connection closing shows the reaper has run over both.
        await idle.Completion.WaitAsync(ct);
        await Task.Delay(TimeSpan.FromMilliseconds(500), ct);

        Assert.False(kept.IsClosed);
        Assert.Same(kept, a.Host.FindConnection(b.PeerId));
    }

    [Fact]
    public async Task InboundConnectionsOverTheLimit_AreRefused()
    {
        var ct = Token();
        await using var a = await TestNode.StartAsync(cancellationToken: ct);
        await using var c = await TestNode.StartAsync(cancellationToken: ct);
        await using var b = await TestNode.StartAsync(o => o.MaxConnections = 1, cancellationToken: ct);
        await a.Host.ConnectAsync(b.Address, ct);
        await Poll.UntilAsync(() => b.Host.Connections.Count == 1, ct);

        await Assert.ThrowsAsync<DialException>(() => c.Host.ConnectAsync(b.Address, ct));
    }

    /// <summary>Opens a stream on <paramref name="protocol"/>, writes <paramref name="bytes"/> as is, half-closes, and reads what comes back.</summary>
    private static async Task<byte[]> SendRawAsync(TestNode from, TestNode to, string protocol, byte[] bytes, CancellationToken ct)
    {
        await using var stream = await from.Host.OpenStreamAsync(to.PeerId, [protocol], ct);
        using var received = new MemoryStream();
        try
        {
            await stream.Stream.WriteAsync(bytes, ct);
            await stream.CompleteWritesAsync();
            await stream.Stream.CopyToAsync(received, ct);
        }
        catch (IOException)
        {
            // The node reset the stream: what we want from bad input.
        }

        return received.ToArray();
    }

    private static CancellationToken Token()
    {
        return TestTimeout.Start().Token;
    }
}
