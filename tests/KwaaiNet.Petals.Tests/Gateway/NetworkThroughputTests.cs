// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Node;
using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Petals.Gateway;
using KwaaiNet.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace KwaaiNet.Petals.Tests.Gateway;

public sealed class NetworkThroughputTests
{
    [Fact]
    public async Task ConfiguredNetworkMbps_IsUsedWithoutMeasuring()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var node = await GatewayNode.StartEmbeddedAsync(new Dictionary<string, string?> { ["KwaaiNet:Announcer:NetworkMbps"] = "250" }, ct);
        await using var peer = await PlainPeer.StartAsync(servesBandwidth: true, ct);
        await Host(node).ConnectAsync(peer.Address, ct);

        var rate = await node.App.Services.GetRequiredService<NetworkThroughput>().GetNetworkBitsPerSecondAsync(ct);

        Assert.Equal(250e6, rate);
        Assert.Equal(0, peer.Probes);
    }

    [Fact]
    public async Task NoConnectedPeer_IsUnknown()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var node = await GatewayNode.StartEmbeddedAsync(null, ct);

        var rate = await node.App.Services.GetRequiredService<NetworkThroughput>().GetNetworkBitsPerSecondAsync(ct);

        Assert.Null(rate);
    }

    [Fact]
    public async Task ConnectedToAnotherNode_MeasuresTheDownloadOverLibp2p()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var node = await GatewayNode.StartEmbeddedAsync(null, ct);
        await using var other = await GatewayNode.StartGatewayAsync(ct);
        var otherHost = Host(other);
        await Host(node).ConnectAsync(otherHost.ListenAddresses[0].WithPeerId(otherHost.PeerId), ct);

        var rate = await node.App.Services.GetRequiredService<NetworkThroughput>().GetNetworkBitsPerSecondAsync(ct);

        Assert.NotNull(rate);
        Assert.True(rate > 0);
    }

    [Fact]
    public async Task Measurement_IsKeptForAnHour_ThenTakenAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider();
        await using var node = await GatewayNode.StartEmbeddedAsync(null, ct);
        await using var peer = await PlainPeer.StartAsync(servesBandwidth: true, ct);
        await Host(node).ConnectAsync(peer.Address, ct);
        using var throughput = Create(node, time, configuredMbps: null);

        var first = await throughput.GetNetworkBitsPerSecondAsync(ct);
        time.Advance(TimeSpan.FromMinutes(59));
        var cached = await throughput.GetNetworkBitsPerSecondAsync(ct);
        var probesWithinTheHour = peer.Probes;
        time.Advance(TimeSpan.FromMinutes(2));
        var second = await throughput.GetNetworkBitsPerSecondAsync(ct);

        Assert.True(first > 0);
        Assert.Equal(first, cached);
        Assert.Equal(1, probesWithinTheHour);
        Assert.Equal(2, peer.Probes);
        Assert.True(second > 0);
    }

    [Fact]
    public async Task NoPeerAtFirst_TriesAgainAfterFiveMinutes()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider();
        await using var node = await GatewayNode.StartEmbeddedAsync(null, ct);
        await using var peer = await PlainPeer.StartAsync(servesBandwidth: true, ct);
        using var throughput = Create(node, time, configuredMbps: null);

        var alone = await throughput.GetNetworkBitsPerSecondAsync(ct);
        await Host(node).ConnectAsync(peer.Address, ct);
        var tooSoon = await throughput.GetNetworkBitsPerSecondAsync(ct);
        var probesTooSoon = peer.Probes;
        time.Advance(NetworkThroughput.RetryInterval);
        var later = await throughput.GetNetworkBitsPerSecondAsync(ct);

        Assert.Null(alone);
        Assert.Null(tooSoon);
        Assert.Equal(0, probesTooSoon);
        Assert.True(later > 0);
        Assert.Equal(1, peer.Probes);
    }

    [Fact]
    public async Task FailedRemeasurement_KeepsTheLastFigure()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider();
        await using var node = await GatewayNode.StartEmbeddedAsync(null, ct);
        var host = Host(node);
        using var throughput = Create(node, time, configuredMbps: null);
        double? first;
        await using (var peer = await PlainPeer.StartAsync(servesBandwidth: true, ct))
        {
            await host.ConnectAsync(peer.Address, ct);
            first = await throughput.GetNetworkBitsPerSecondAsync(ct);
        }

        await Poll.UntilAsync(() => host.Connections.Count == 0, ct);
        time.Advance(NetworkThroughput.RemeasureInterval + TimeSpan.FromMinutes(1));
        var afterPeerLeft = await throughput.GetNetworkBitsPerSecondAsync(ct);

        Assert.True(first > 0);
        Assert.Equal(first, afterPeerLeft);
    }

    [Fact]
    public async Task BootstrapPeer_IsMeasuredAgainstFirst()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var bootstrap = await PlainPeer.StartAsync(servesBandwidth: true, ct);
        await using var other1 = await PlainPeer.StartAsync(servesBandwidth: true, ct);
        await using var other2 = await PlainPeer.StartAsync(servesBandwidth: true, ct);
        await using var node = await GatewayNode.StartEmbeddedAsync(
            new Dictionary<string, string?> { ["KwaaiNet:Node:initial_peers"] = bootstrap.Address.ToString() }, ct);
        var host = Host(node);
        await host.ConnectAsync(other1.Address, ct);
        await host.ConnectAsync(other2.Address, ct);
        await Poll.UntilAsync(() => host.FindConnection(bootstrap.PeerId) is not null, ct);

        var rate = await node.App.Services.GetRequiredService<NetworkThroughput>().GetNetworkBitsPerSecondAsync(ct);

        Assert.True(rate > 0);
        Assert.Equal(1, bootstrap.Probes);
        Assert.Equal(0, other1.Probes + other2.Probes);
    }

    [Fact]
    public async Task PeerWithoutTheProtocol_IsSkippedForTheNext()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var bootstrap = await PlainPeer.StartAsync(servesBandwidth: false, ct);
        await using var other = await PlainPeer.StartAsync(servesBandwidth: true, ct);
        await using var node = await GatewayNode.StartEmbeddedAsync(
            new Dictionary<string, string?> { ["KwaaiNet:Node:initial_peers"] = bootstrap.Address.ToString() }, ct);
        var host = Host(node);
        await host.ConnectAsync(other.Address, ct);
        await Poll.UntilAsync(() => host.FindConnection(bootstrap.PeerId) is not null, ct);

        var rate = await node.App.Services.GetRequiredService<NetworkThroughput>().GetNetworkBitsPerSecondAsync(ct);

        Assert.True(rate > 0);
        Assert.Equal(1, other.Probes);
    }

    [Fact]
    public async Task GatewayDown_IsUnknown()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var node = await GatewayNode.StartWithoutGatewayAsync(
            new Dictionary<string, string?> { [NodeGatewayHostingExtensions.GatewayAddressKey] = "http://127.0.0.1:" + FreeTcpPort.Next() },
            ct);

        var rate = await node.App.Services.GetRequiredService<NetworkThroughput>().GetNetworkBitsPerSecondAsync(ct);

        Assert.Null(rate);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("2000000")]
    public async Task NetworkMbpsOutOfRange_FailsStart(string value)
    {
        var ct = TestContext.Current.CancellationToken;

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => GatewayNode.StartWithoutGatewayAsync(
            new Dictionary<string, string?> { ["KwaaiNet:Announcer:NetworkMbps"] = value },
            ct));

        Assert.Contains(nameof(NetworkThroughputOptions.NetworkMbps), error.Message, StringComparison.Ordinal);
    }

    private static Libp2p.Network.Libp2pHost Host(ModuleHost host) => host.App.Services.GetRequiredService<ILocalLibp2pNode>().Host;

    private static NetworkThroughput Create(ModuleHost node, TimeProvider time, double? configuredMbps) =>
        new(
            node.App.Services.GetRequiredService<INodeGateway>(),
            Options.Create(new NetworkThroughputOptions { NetworkMbps = configuredMbps }),
            node.App.Services.GetRequiredService<IOptions<NodeOptions>>(),
            time,
            NullLogger<NetworkThroughput>.Instance);
}
