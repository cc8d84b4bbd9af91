// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Petals.Gateway;
using KwaaiNet.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace KwaaiNet.Petals.Tests.Gateway;

/// <summary>Both gateways against a real p2p-gateway: in this process (the embedded node) and through its gRPC API.</summary>
public sealed class NodeGatewayTests
{
    public static TheoryData<bool> Kinds => [true, false];

    [Fact]
    public async Task AddNodeGateway_WithTheGatewayModuleInProcess_UsesItsLibp2pNode()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var node = await GatewayNode.StartEmbeddedAsync(null, ct);

        Assert.IsType<LocalNodeGateway>(node.App.Services.GetRequiredService<INodeGateway>());
    }

    [Fact]
    public async Task AddNodeGateway_WithoutTheGatewayModule_UsesTheGrpcApi()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var node = await GatewayNode.StartWithoutGatewayAsync(null, ct);

        Assert.IsType<GrpcNodeGateway>(node.App.Services.GetRequiredService<INodeGateway>());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task GetIdentity_IsTheGatewayNodesPeerIdAndAddresses(bool local)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await GatewayNode.StartEmbeddedAsync(new Dictionary<string, string?> { ["KwaaiNet:Node:public_ip"] = "203.0.113.7" }, ct);
        var host = gateway.App.Services.GetRequiredService<ILocalLibp2pNode>().Host;

        var identity = await Create(gateway, local).GetIdentityAsync(ct);

        Assert.Equal(host.PeerId, identity.PeerId);
        Assert.Equal([host.ListenAddresses[0].WithPeerId(host.PeerId).ToString()], identity.ListenAddrs);
        Assert.Equal(["/ip4/203.0.113.7/tcp/8080"], identity.AnnounceAddrs);
        Assert.False(identity.UsingRelay);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task GetConnectedPeers_ListsEachConnectedPeerOnce(bool local)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await GatewayNode.StartEmbeddedAsync(null, ct);
        var host = gateway.App.Services.GetRequiredService<ILocalLibp2pNode>().Host;
        await using var a = await PlainPeer.StartAsync(servesBandwidth: false, ct);
        await using var b = await PlainPeer.StartAsync(servesBandwidth: false, ct);
        await host.ConnectAsync(a.Address, ct);
        await host.ConnectAsync(b.Address, ct);

        var peers = await Create(gateway, local).GetConnectedPeersAsync(ct);

        Assert.Equal(new[] { a.PeerId.ToString(), b.PeerId.ToString() }.Order(StringComparer.Ordinal), peers.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task MeasureDownload_PeerServesTheProbe_ReturnsAPositiveRate(bool local)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await GatewayNode.StartEmbeddedAsync(null, ct);
        await using var peer = await PlainPeer.StartAsync(servesBandwidth: true, ct);
        await gateway.App.Services.GetRequiredService<ILocalLibp2pNode>().Host.ConnectAsync(peer.Address, ct);

        var rate = await Create(gateway, local).MeasureDownloadBitsPerSecondAsync(peer.PeerId.ToString(), ct);

        Assert.NotNull(rate);
        Assert.True(rate > 0);
        Assert.Equal(1, peer.Probes);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task MeasureDownload_PeerWithoutTheProtocol_IsNull(bool local)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await GatewayNode.StartEmbeddedAsync(null, ct);
        await using var peer = await PlainPeer.StartAsync(servesBandwidth: false, ct);
        await gateway.App.Services.GetRequiredService<ILocalLibp2pNode>().Host.ConnectAsync(peer.Address, ct);

        Assert.Null(await Create(gateway, local).MeasureDownloadBitsPerSecondAsync(peer.PeerId.ToString(), ct));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task MeasureDownload_UnknownPeer_IsNull(bool local)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await GatewayNode.StartEmbeddedAsync(null, ct);

        Assert.Null(await Create(gateway, local).MeasureDownloadBitsPerSecondAsync(RandomPeerId(), ct));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task MeasureDownload_NotAPeerId_IsNull(bool local)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await GatewayNode.StartEmbeddedAsync(null, ct);
        var nodeGateway = Create(gateway, local);

        Assert.Null(await nodeGateway.MeasureDownloadBitsPerSecondAsync("not-a-peer-id", ct));
        Assert.Null(await nodeGateway.MeasureDownloadBitsPerSecondAsync(string.Empty, ct));
    }

    [Fact]
    public async Task GrpcGateway_NotListening_ThrowsGatewayUnavailable()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var node = await GatewayNode.StartWithoutGatewayAsync(
            new Dictionary<string, string?> { [NodeGatewayHostingExtensions.GatewayAddressKey] = "http://127.0.0.1:" + FreeTcpPort.Next() },
            ct);
        var gateway = node.App.Services.GetRequiredService<INodeGateway>();
        var somePeer = RandomPeerId();

        await Assert.ThrowsAsync<GatewayUnavailableException>(() => gateway.GetIdentityAsync(ct));
        await Assert.ThrowsAsync<GatewayUnavailableException>(() => gateway.GetConnectedPeersAsync(ct));
        await Assert.ThrowsAsync<GatewayUnavailableException>(() => gateway.MeasureDownloadBitsPerSecondAsync(somePeer, ct));
    }

    private static string RandomPeerId() => Libp2p.Identity.NodeIdentity.GenerateEd25519().PeerId.ToString();

    private static INodeGateway Create(ModuleHost gateway, bool local) => local
        ? gateway.App.Services.GetRequiredService<INodeGateway>()
        : new GrpcNodeGateway(new Contracts.Gateway.V1.Gateway.GatewayClient(gateway.Channel), NullLogger<GrpcNodeGateway>.Instance);
}
