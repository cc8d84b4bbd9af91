// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf;
using Grpc.Core;
using KwaaiNet.Contracts.Gateway.V1;
using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Protocols;
using KwaaiNet.Libp2p.Tests.Network;
using KwaaiNet.Testing;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Libp2p.Tests.Hosting;

/// <summary>The gateway module's libp2p node: its gRPC API towards a real peer, and inbound routing to a real service.</summary>
public sealed class GatewayLibp2pTests
{
    private const string Echo = "/kwaainet/echo/1.0.0";

    /// <summary>The bootstrap dialer's event ids (src/KwaaiNet.Libp2p/GatewayLog.cs).</summary>
    private const int BootstrapUnreachable = 3504;
    private const int BootstrapStillUnreachable = 3505;

    [Fact]
    public async Task Identity_ListsTheListenAddressesWithPeerId()
    {
        var ct = Token();
        await using var gateway = await StartGatewayAsync(null, ct);

        var identity = await Client(gateway).IdentityAsync(new IdentityRequest(), cancellationToken: ct);

        var listen = Multiaddr.Parse(Assert.Single(identity.ListenAddrs));
        Assert.Equal(identity.PeerId, listen.PeerId?.ToString());
        Assert.True(listen.TryGetTcpTarget(out var host, out var port));
        Assert.Equal("127.0.0.1", host);
        Assert.NotEqual(0, port);
    }

    [Fact]
    public async Task Connect_Peers_CallUnary_AndOpenStream_ReachARealPeer()
    {
        var ct = Token();
        await using var gateway = await StartGatewayAsync(null, ct);
        await using var peer = await TestNode.StartAsync(cancellationToken: ct);
        peer.Unary.AddHandler("kwaainet.test.rpc_echo", static (request, _) => Task.FromResult(
            request.Data.Span.SequenceEqual("fail"u8) ? UnaryResult.Fail("ValueError('fail')") : UnaryResult.Ok(request.Data)));
        peer.Host.Protocols.Add(Echo, static async (stream, token) =>
        {
            await stream.Stream.CopyToAsync(stream.Stream, token);
            await stream.CompleteWritesAsync();
        });
        var client = Client(gateway);

        var connected = await client.ConnectAsync(new ConnectRequest { Addrs = { peer.Address.ToString() } }, cancellationToken: ct);
        Assert.Equal(peer.PeerId.ToString(), connected.PeerId);

        var peers = await client.PeersAsync(new PeersRequest(), cancellationToken: ct);
        Assert.Contains(peers.Peers, p => p.PeerId == peer.PeerId.ToString());

        var reply = await client.CallUnaryAsync(
            new CallUnaryRequest { PeerId = peer.PeerId.ToString(), Protocol = "kwaainet.test.rpc_echo", Data = ByteString.CopyFromUtf8("hi") },
            cancellationToken: ct);
        Assert.Equal("hi", reply.Data.ToStringUtf8());

        var failed = await Assert.ThrowsAsync<RpcException>(() => client.CallUnaryAsync(
            new CallUnaryRequest { PeerId = peer.PeerId.ToString(), Protocol = "kwaainet.test.rpc_echo", Data = ByteString.CopyFromUtf8("fail") },
            cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.Aborted, failed.StatusCode);
        Assert.Contains("ValueError('fail')", failed.Status.Detail, StringComparison.Ordinal);

        var missing = await Assert.ThrowsAsync<RpcException>(() => client.CallUnaryAsync(
            new CallUnaryRequest { PeerId = peer.PeerId.ToString(), Protocol = "kwaainet.test.none" }, cancellationToken: ct).ResponseAsync);
        Assert.Equal(StatusCode.Unimplemented, missing.StatusCode);

        using var call = client.OpenStream(cancellationToken: ct);
        await call.RequestStream.WriteAsync(new StreamFrame { Open = new StreamOpen { PeerId = peer.PeerId.ToString(), Protocols = { Echo } } }, ct);
        var payload = new byte[300_000];
        Random.Shared.NextBytes(payload);
        await call.RequestStream.WriteAsync(new StreamFrame { Data = ByteString.CopyFrom(payload) }, ct);
        await call.RequestStream.WriteAsync(new StreamFrame { Close = new StreamClose() }, ct);
        using var echoed = new MemoryStream();
        var closed = false;
        await foreach (var frame in call.ResponseStream.ReadAllAsync(ct))
        {
            if (frame.FrameCase == StreamFrame.FrameOneofCase.Data)
            {
                frame.Data.WriteTo(echoed);
            }
            else if (frame.FrameCase == StreamFrame.FrameOneofCase.Close)
            {
                closed = true;
            }
        }

        Assert.True(closed);
        Assert.Equal(payload, echoed.ToArray());
    }

    [Fact]
    public async Task OpenStream_PeerResetsTheStream_IsUnavailableNamingThePeer()
    {
        var ct = Token();
        await using var gateway = await StartGatewayAsync(null, ct);
        await using var peer = await TestNode.StartAsync(cancellationToken: ct);
        peer.Host.Protocols.Add("/kwaainet/reset/1.0.0", static async (stream, token) =>
        {
            await stream.Stream.ReadExactlyAsync(new byte[1], token);
            stream.Reset();
        });
        var client = Client(gateway);
        await client.ConnectAsync(new ConnectRequest { Addrs = { peer.Address.ToString() } }, cancellationToken: ct);

        using var call = client.OpenStream(cancellationToken: ct);
        await call.RequestStream.WriteAsync(new StreamFrame { Open = new StreamOpen { PeerId = peer.PeerId.ToString(), Protocols = { "/kwaainet/reset/1.0.0" } } }, ct);
        await call.RequestStream.WriteAsync(new StreamFrame { Data = ByteString.CopyFromUtf8("x") }, ct);
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in call.ResponseStream.ReadAllAsync(ct))
            {
            }
        });

        Assert.True(error.StatusCode == StatusCode.Unavailable, error.Status.ToString());
        Assert.Contains(peer.PeerId.ToString(), error.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not-a-peer-id", StatusCode.InvalidArgument)]
    [InlineData("12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq", StatusCode.Unavailable)]
    public async Task CallUnary_BadOrUnknownPeer_GivesAClearStatus(string peerId, StatusCode expected)
    {
        var ct = Token();
        await using var gateway = await StartGatewayAsync(null, ct);

        var error = await Assert.ThrowsAsync<RpcException>(() => Client(gateway).CallUnaryAsync(
            new CallUnaryRequest { PeerId = peerId, Protocol = "DHTProtocol.rpc_ping" }, cancellationToken: ct).ResponseAsync);

        Assert.Equal(expected, error.StatusCode);
        Assert.Contains(peerId, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_UnreachableAddress_IsUnavailableNamingIt()
    {
        var ct = Token();
        await using var gateway = await StartGatewayAsync(null, ct);
        var address = $"/ip4/127.0.0.1/tcp/{FreeTcpPort.Next()}/p2p/{NodeIdentity.GenerateEd25519().PeerId}";

        var error = await Assert.ThrowsAsync<RpcException>(() => Client(gateway).ConnectAsync(new ConnectRequest { Addrs = { address } }, cancellationToken: ct).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains(address.Split("/p2p/")[0], error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InboundUnary_ReachesTheServiceWithTheAuthenticatedCaller_AndErrorsComeBack()
    {
        var ct = Token();
        await using var service = await InboundTestService.StartAsync(ct);
        await using var gateway = await StartGatewayAsync(
            new()
            {
                ["KwaaiNet:Gateway:Inbound:0:Protocol"] = "kwaainet.test.*",
                ["KwaaiNet:Gateway:Inbound:0:Address"] = service.Address.ToString(),
                ["KwaaiNet:Gateway:Inbound:0:Kind"] = "Unary",
                ["KwaaiNet:Gateway:Inbound:1:Protocol"] = Echo,
                ["KwaaiNet:Gateway:Inbound:1:Address"] = service.Address.ToString(),
                ["KwaaiNet:Gateway:Inbound:1:Kind"] = "Stream",
            },
            ct);
        var identity = await Client(gateway).IdentityAsync(new IdentityRequest(), cancellationToken: ct);
        var gatewayPeer = PeerId.Parse(identity.PeerId);
        await using var caller = await TestNode.StartAsync(cancellationToken: ct);
        await caller.Host.ConnectAsync(Multiaddr.Parse(identity.ListenAddrs[0]), ct);

        var reply = await caller.Unary.CallAsync(gatewayPeer, "kwaainet.test.rpc_ping", "x"u8.ToArray(), ct);
        var error = await Assert.ThrowsAsync<UnaryCallException>(() => caller.Unary.CallAsync(gatewayPeer, "kwaainet.test.rpc_find", "fail"u8.ToArray(), ct));

        Assert.Equal("kwaainet.test.rpc_ping:x", System.Text.Encoding.UTF8.GetString(reply));
        Assert.Equal("ValueError('fail')", error.Message);
        Assert.True(service.Calls.TryPeek(out var first));
        Assert.Equal(caller.PeerId.ToString(), first.RemotePeerId);

        await using var stream = await caller.Host.OpenStreamAsync(gatewayPeer, [Echo], ct);
        var payload = new byte[200_000];
        Random.Shared.NextBytes(payload);
        var write = Task.Run(async () =>
        {
            await stream.Stream.WriteAsync(payload, ct);
            await stream.CompleteWritesAsync();
        }, ct);
        using var echoed = new MemoryStream();
        await stream.Stream.CopyToAsync(echoed, ct);
        await write;
        Assert.Equal(payload, echoed.ToArray());
    }

    [Fact]
    public async Task InboundUnary_ServiceDown_GivesTheCallerAnError_AndTheNodeKeepsServing()
    {
        var ct = Token();
        await using var gateway = await StartGatewayAsync(
            new()
            {
                ["KwaaiNet:Gateway:Inbound:0:Protocol"] = "DHTProtocol.*",
                ["KwaaiNet:Gateway:Inbound:0:Address"] = $"http://127.0.0.1:{FreeTcpPort.Next()}",
            },
            ct);
        var identity = await Client(gateway).IdentityAsync(new IdentityRequest(), cancellationToken: ct);
        var gatewayPeer = PeerId.Parse(identity.PeerId);
        await using var caller = await TestNode.StartAsync(cancellationToken: ct);
        await caller.Host.ConnectAsync(Multiaddr.Parse(identity.ListenAddrs[0]), ct);

        var error = await Assert.ThrowsAsync<UnaryCallException>(() => caller.Unary.CallAsync(gatewayPeer, "DHTProtocol.rpc_ping", Array.Empty<byte>(), ct));

        Assert.Contains("DHTProtocol.rpc_ping", error.Message, StringComparison.Ordinal);
        Assert.True(await PingService.PingAsync(caller.Host, gatewayPeer, ct) > TimeSpan.Zero);
    }

    [Fact]
    public async Task BadListenAddress_FailsStartNamingTheKey()
    {
        var ct = Token();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => StartGatewayAsync(new() { ["KwaaiNet:Gateway:ListenAddresses:0"] = "/ip4/127.0.0.1/udp/1" }, ct));

        Assert.Contains("KwaaiNet:Gateway:ListenAddresses:0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreachableBootstrapPeer_IsRetried_AndTheNodeKeepsServing()
    {
        var ct = Token();
        var bootstrap = $"/ip4/127.0.0.1/tcp/{FreeTcpPort.Next()}/p2p/{NodeIdentity.GenerateEd25519().PeerId}";
        await using var gateway = await StartGatewayAsync(new() { ["KwaaiNet:Node:initial_peers:0"] = bootstrap }, ct);

        var identity = await Client(gateway).IdentityAsync(new IdentityRequest(), cancellationToken: ct);
        await using var peer = await TestNode.StartAsync(cancellationToken: ct);
        await peer.Host.ConnectAsync(Multiaddr.Parse(identity.ListenAddrs[0]), ct);

        Assert.True(await PingService.PingAsync(peer.Host, PeerId.Parse(identity.PeerId), ct) > TimeSpan.Zero);
    }

    [Fact]
    public async Task UnreachableBootstrapPeer_IsLoggedOnce_ThenRetriedQuietly()
    {
        var ct = Token();
        var bootstrap = $"/ip4/127.0.0.1/tcp/{FreeTcpPort.Next()}/p2p/{NodeIdentity.GenerateEd25519().PeerId}";
        var logs = new LogCapture();
        await using var gateway = await ModuleHost.StartAsync(
            b =>
            {
                b.AddP2PGateway();
                b.Logging.AddProvider(logs);
            },
            static a => a.MapP2PGateway(),
            new Dictionary<string, string?>
            {
                ["KwaaiNet:Node:initial_peers:0"] = bootstrap,
                ["Logging:LogLevel:KwaaiNet.Libp2p.Hosting.BootstrapDialer"] = "Debug",
            },
            ct);

        // The first retry comes after about a second and the second after two more.
        await Poll.UntilAsync(() => logs.Count(BootstrapStillUnreachable) >= 2, ct, TimeSpan.FromSeconds(20));

        var warning = Assert.Single(logs.Entries, e => e.EventId == BootstrapUnreachable);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains(bootstrap, warning.Message, StringComparison.Ordinal);
        Assert.Contains("the node keeps serving", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReachableBootstrapPeer_IsDialledAtStart()
    {
        var ct = Token();
        await using var bootstrap = await TestNode.StartAsync(cancellationToken: ct);
        await using var gateway = await StartGatewayAsync(new() { ["KwaaiNet:Node:initial_peers:0"] = bootstrap.Address.ToString() }, ct);
        var identity = await Client(gateway).IdentityAsync(new IdentityRequest(), cancellationToken: ct);

        await Poll.UntilAsync(() => bootstrap.Host.FindConnection(PeerId.Parse(identity.PeerId)) is not null, ct);
    }

    private static Gateway.GatewayClient Client(ModuleHost host) => new(host.Channel);

    private static Task<ModuleHost> StartGatewayAsync(Dictionary<string, string?>? settings, CancellationToken cancellationToken) =>
        ModuleHost.StartAsync(static b => b.AddP2PGateway(), static a => a.MapP2PGateway(), settings, cancellationToken);

    private static CancellationToken Token()
    {
        return TestTimeout.Start(TimeSpan.FromSeconds(60)).Token;
    }
}
