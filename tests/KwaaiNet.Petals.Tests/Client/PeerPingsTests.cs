// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Hosting;
using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Petals.Client;
using KwaaiNet.Petals.Gateway;
using KwaaiNet.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KwaaiNet.Petals.Tests.Client;

public sealed class PeerPingsTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Record_SmoothsWithAlpha02()
    {
        var pings = new PeerPings(null, PeerPings.DefaultTimeout, _time, NullLogger<PeerPings>.Instance);

        pings.Record("a", 1.0);
        pings.Record("a", 0.5);

        Assert.Equal(0.9, pings.Snapshot()["a"], 9);
    }

    [Fact]
    public void Record_InfinityReplaces_AndAFiniteSampleStartsAfresh()
    {
        var pings = new PeerPings(null, PeerPings.DefaultTimeout, _time, NullLogger<PeerPings>.Instance);
        pings.Record("a", 0.2);

        pings.Record("a", double.PositiveInfinity);
        Assert.True(double.IsPositiveInfinity(pings.Snapshot()["a"]));

        pings.Record("a", 0.4);
        Assert.Equal(0.4, pings.Snapshot()["a"], 9);
    }

    [Fact]
    public void Snapshot_DropsExpiredRtts()
    {
        var pings = new PeerPings(null, PeerPings.DefaultTimeout, _time, NullLogger<PeerPings>.Instance);
        pings.Record("a", 0.1);

        _time.Advance(PeerPings.Expiration);

        Assert.Empty(pings.Snapshot());
    }

    [Fact]
    public async Task PingAsync_ANodeWithADht_AnswersWithAFiniteRtt_AndAnUnknownPeerIsInfinite()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await StartNodeAsync(ct);
        await using var server = await StartNodeAsync(ct);
        var serverHost = server.App.Services.GetRequiredService<ILocalLibp2pNode>().Host;
        await client.App.Services.GetRequiredService<ILocalLibp2pNode>().Host.ConnectAsync(serverHost.ListenAddresses[0].WithPeerId(serverHost.PeerId), ct);
        var pings = new PeerPings(client.App.Services.GetRequiredService<INodeGateway>(), PeerPings.DefaultTimeout, TimeProvider.System, NullLogger<PeerPings>.Instance);
        var unknown = Libp2p.Identity.NodeIdentity.GenerateEd25519().PeerId.ToBase58();

        var rtt = await pings.PingAsync(serverHost.PeerId.ToBase58(), ct);
        await pings.PingMissingAsync([unknown, serverHost.PeerId.ToBase58()], ct);

        Assert.True(double.IsFinite(rtt) && rtt >= 0, $"rtt {rtt}");
        var snapshot = pings.Snapshot();
        Assert.Equal(rtt, snapshot[serverHost.PeerId.ToBase58()]);
        Assert.True(double.IsPositiveInfinity(snapshot[unknown]));
    }

    private static Task<ModuleHost> StartNodeAsync(CancellationToken cancellationToken) =>
        ModuleHost.StartAsync(
            static b =>
            {
                b.AddP2PGateway();
                b.AddDht();
                b.AddNodeGateway();
            },
            static a =>
            {
                a.MapP2PGateway();
                a.MapDht();
            },
            null,
            cancellationToken);
}
