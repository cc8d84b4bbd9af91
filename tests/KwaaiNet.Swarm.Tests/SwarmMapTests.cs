// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using KwaaiNet.Petals.Map;
using KwaaiNet.Testing;
using KwaaiNet.Testing.Swarm;

namespace KwaaiNet.Swarm.Tests;

/// <summary>
/// Three whole nodes on loopback, each serving a different span of one 4-block model: every node's map shows every
/// server with the right coverage, a node that stops goes offline at once and disappears when its records expire.
/// </summary>
public sealed class SwarmMapTests(ITestOutputHelper output)
{
    private const int Layers = 4;

    /// <summary>Time for a node to start and load its span on this shared 2-core machine.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task ThreeNodes_EveryMapShowsEveryServer_StoppedNodeGoesOfflineThenExpires()
    {
        var ct = TestContext.Current.CancellationToken;
        using var swarm = new SwarmSettings(Layers, renewalPeriod: TimeSpan.FromSeconds(10), recordTtl: TimeSpan.FromSeconds(15), crawlPeriod: TimeSpan.FromSeconds(1));

        // Spans [0, 2), [2, 4) and [1, 3): blocks 1 and 2 have two servers, blocks 0 and 3 one.
        await using var first = await SwarmNode.StartAsync("swarm-1", swarm, startBlock: 0, blocks: 2, bootstrap: null, ct);
        await using var second = await SwarmNode.StartAsync("swarm-2", swarm, startBlock: 2, blocks: 2, first.Address, ct);
        var thirdStarted = Stopwatch.StartNew();
        var third = await SwarmNode.StartAsync("swarm-3", swarm, startBlock: 1, blocks: 2, first.Address, ct);
        SwarmNode[] nodes = [first, second, third];
        try
        {
            // The time from a node's start to its first appearance on another node's map (joining or online).
            await Poll.UntilAsync(token => first.GetStateAsync(token), s => Rows(s).Any(r => r.PeerId == third.PeerId), StartTimeout, ct);
            output.WriteLine($"swarm-3 appeared on swarm-1's map {thirdStarted.Elapsed.TotalSeconds:0.0} s after its start");

            // Once every node serves its span, every map shows the three servers online within one announce period.
            foreach (var node in nodes)
            {
                await Poll.UntilAsync(token => node.GetStateAsync(token), s => Rows(s).Any(r => r.PeerId == node.PeerId && r.State == "online"), StartTimeout, ct);
            }

            var allServing = Stopwatch.StartNew();
            foreach (var node in nodes)
            {
                var state = await Poll.UntilAsync(token => node.GetStateAsync(token), AllThreeOnline(nodes), swarm.RenewalPeriod, ct);
                var report = Assert.Single(state.ModelReports);
                Assert.Equal(SwarmSettings.Model, report.DhtPrefix);
                Assert.Equal(Layers, report.NumBlocks);
                Assert.Equal([1, 2, 2, 1], report.BlockCoverage);
                Assert.Equal("healthy", report.State);
                Assert.Equal(
                    [("swarm-1", 0, 2), ("swarm-3", 1, 3), ("swarm-2", 2, 4)],
                    report.ServerRows.Select(static r => (Name(r), r.Span.Start, r.Span.End)));
                Assert.All(report.ServerRows, static r => Assert.True(r.Span.ServerInfo.Throughput > 0));
                Assert.Equal(3, state.NumPeers);

                // The node's own page shows the same servers.
                var page = await node.GetPageAsync(ct);
                Assert.All(nodes, n => Assert.Contains(n.Name, page, StringComparison.Ordinal));
            }

            output.WriteLine($"every map showed the three servers online {allServing.Elapsed.TotalSeconds:0.0} s after they all served");

            // A node that stops announces itself offline: the others show it so at once (the next crawl), ...
            var thirdPeer = third.PeerId;
            var stopped = Stopwatch.StartNew();
            await third.DisposeAsync();
            nodes = [first, second];
            foreach (var node in nodes)
            {
                var state = await Poll.UntilAsync(token => node.GetStateAsync(token), s => Rows(s).Any(r => r.PeerId == thirdPeer && r.State == "offline"), swarm.CrawlPeriod * 5, ct);
                Assert.Equal([1, 1, 1, 1], Assert.Single(state.ModelReports).BlockCoverage);
            }

            output.WriteLine($"swarm-3 was offline on the other maps {stopped.Elapsed.TotalSeconds:0.0} s after it stopped");

            // ... and gone once its records expire.
            foreach (var node in nodes)
            {
                await Poll.UntilAsync(token => node.GetStateAsync(token), s => !Rows(s).Any(r => r.PeerId == thirdPeer), swarm.RecordTtl + (swarm.CrawlPeriod * 5), ct);
            }

            output.WriteLine($"swarm-3 was gone from the other maps {stopped.Elapsed.TotalSeconds:0.0} s after it stopped (records live {swarm.RecordTtl.TotalSeconds} s)");
        }
        finally
        {
            await third.DisposeAsync();
        }
    }

    private static Func<MapStateDocument, bool> AllThreeOnline(IReadOnlyList<SwarmNode> nodes) =>
        state => nodes.All(n => Rows(state).Any(r => r.PeerId == n.PeerId && r.State == "online"));

    private static IEnumerable<MapServerRow> Rows(MapStateDocument state) => state.ModelReports.SelectMany(static m => m.ServerRows);

    private static string Name(MapServerRow row) => row.Span.ServerInfo.PublicName?.Split('/')[0] ?? row.PeerId;
}
