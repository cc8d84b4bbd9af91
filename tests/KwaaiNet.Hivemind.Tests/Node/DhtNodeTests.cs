// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Storage;
using KwaaiNet.Hivemind.Values;
using KwaaiNet.Testing.Dht;
using Microsoft.Extensions.Time.Testing;

namespace KwaaiNet.Hivemind.Tests.Node;

/// <summary>DHTNode's lookups, placement, merging, caching and expiry, on small in-memory swarms with a fake clock.</summary>
public sealed class DhtNodeTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task StoredValues_AreFoundFromEveryNode()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider(Start);
        await using var swarm = await DhtSwarm.StartAsync(24, SwarmTransport.InMemory, time: time, seed: 7, cancellationToken: ct);
        var keys = Enumerable.Range(0, 10).Select(static i => DhtId.FromKey("key-" + i)).ToList();
        for (var i = 0; i < keys.Count; i++)
        {
            var outcome = await swarm.Nodes[i * 2].Dht.StoreAsync(keys[i], new byte[] { (byte)i }, DhtTime.Now(time) + 60, cancellationToken: ct);
            Assert.True(outcome.Stored);

            // Five nearest nodes, plus the bootstrap peers of the storing node.
            Assert.InRange(outcome.Replicas, 5, 8);
        }

        foreach (var node in swarm.Nodes)
        {
            var found = await node.Dht.GetManyAsync(keys, cancellationToken: ct);
            for (var i = 0; i < keys.Count; i++)
            {
                Assert.Equal(new byte[] { (byte)i }, found[keys[i]]?.Value.ToArray());
            }
        }
    }

    [Fact]
    public async Task Store_PlacesTheValueOnTheNearestNodes()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider(Start);
        await using var swarm = await DhtSwarm.StartAsync(30, SwarmTransport.InMemory, options: new DhtOptions { ReplicateToBootstraps = false, CacheLocally = false }, time: time, seed: 3, cancellationToken: ct);
        var key = DhtId.FromKey("placement");

        var outcome = await swarm.Nodes[5].Dht.StoreAsync(key, new byte[] { 9 }, DhtTime.Now(time) + 60, cancellationToken: ct);

        var holders = new List<DhtId>();
        foreach (var node in swarm.Nodes)
        {
            if (await node.Store.GetAsync(DhtTier.Storage, key, ct) is not null)
            {
                holders.Add(node.Dht.NodeId);
            }
        }

        // Five replicas on the five nearest nodes; a node met during the store may be handed a copy as well, as
        // hivemind's routing-table update does for newcomers nearer to a key.
        var nearest = swarm.Nodes.Select(static n => n.Dht.NodeId).OrderBy(id => key.DistanceTo(id)).Take(5).ToList();
        Assert.Equal(5, outcome.Replicas);
        Assert.All(nearest, id => Assert.Contains(id, holders));
    }

    [Fact]
    public async Task Store_GoesToEveryBootstrapPeerToo()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider(Start);
        await using var swarm = await DhtSwarm.StartAsync(30, SwarmTransport.InMemory, time: time, seed: 5, cancellationToken: ct);
        var node = swarm.Nodes[^1];
        var key = DhtId.FromKey("map-record");

        await node.Dht.StoreAsync(key, new byte[] { 1 }, DhtTime.Now(time) + 60, cancellationToken: ct);

        Assert.NotEmpty(node.Dht.BootstrapPeers);
        foreach (var peer in node.Dht.BootstrapPeers)
        {
            var bootstrap = swarm.Nodes.Single(n => n.PeerId == peer);
            Assert.NotNull(await bootstrap.Store.GetAsync(DhtTier.Storage, key, ct));
        }
    }

    [Fact]
    public async Task GetLatest_FindsTheNewestOfDifferentValues()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider(Start);
        await using var swarm = await DhtSwarm.StartAsync(20, SwarmTransport.InMemory, time: time, seed: 11, cancellationToken: ct);
        var key = DhtId.FromKey("latest");
        var now = DhtTime.Now(time);
        await swarm.Nodes[1].Dht.StoreAsync(key, new byte[] { 1 }, now + 30, cancellationToken: ct);

        // An older value sits on one node's storage only, as after a partition.
        await swarm.Nodes[2].Store.StoreAsync(DhtTier.Storage, key, new byte[] { 0 }, now + 10, ct);
        await swarm.Nodes[3].Dht.StoreAsync(key, new byte[] { 2 }, now + 50, cancellationToken: ct);

        var latest = await swarm.Nodes[2].Dht.GetAsync(key, latest: true, ct);

        Assert.Equal(new byte[] { 2 }, latest?.Value.ToArray());
        Assert.Equal(now + 50, latest?.ExpirationTime);
    }

    [Fact]
    public async Task DictionaryEntriesStoredByDifferentNodes_AreMerged()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider(Start);
        await using var swarm = await DhtSwarm.StartAsync(20, SwarmTransport.InMemory, time: time, seed: 13, cancellationToken: ct);
        var key = DhtId.FromKey("model.0");
        var now = DhtTime.Now(time);
        foreach (var (node, index) in swarm.Nodes.Take(6).Select(static (n, i) => (n, i)))
        {
            await node.Dht.StoreAsync(key, new byte[] { (byte)index }, now + 60 + index, DhtMsgPack.Str(node.PeerId.ToBase58()), ct);
        }

        var found = await swarm.Nodes[^1].Dht.GetAsync(key, latest: true, ct);

        Assert.NotNull(found);
        Assert.True(found.IsDictionary);
        Assert.Equal(6, found.Entries!.Count);
        Assert.Equal(now + 65, found.ExpirationTime);
    }

    [Fact]
    public async Task Records_ExpireOnTime_Everywhere()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider(Start);
        await using var swarm = await DhtSwarm.StartAsync(16, SwarmTransport.InMemory, time: time, seed: 17, cancellationToken: ct);
        var key = DhtId.FromKey("ephemeral");
        await swarm.Nodes[0].Dht.StoreAsync(key, new byte[] { 1 }, DhtTime.Now(time) + 30, cancellationToken: ct);

        time.Advance(TimeSpan.FromSeconds(29));
        var before = await swarm.Nodes[9].Dht.GetAsync(key, cancellationToken: ct);
        time.Advance(TimeSpan.FromSeconds(2));
        var after = await Task.WhenAll(swarm.Nodes.Select(n => n.Dht.GetAsync(key, cancellationToken: ct)));

        Assert.NotNull(before);
        Assert.All(after, Assert.Null);
        foreach (var node in swarm.Nodes)
        {
            Assert.Null(await node.Store.GetAsync(DhtTier.Storage, key, ct));
            Assert.Null(await node.Store.GetAsync(DhtTier.Cache, key, ct));
        }
    }

    [Fact]
    public async Task Get_CachesTheFoundValueLocally()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider(Start);
        await using var swarm = await DhtSwarm.StartAsync(20, SwarmTransport.InMemory, options: new DhtOptions { ReplicateToBootstraps = false }, time: time, seed: 19, cancellationToken: ct);
        var key = DhtId.FromKey("cache-me");
        await swarm.Nodes[0].Dht.StoreAsync(key, new byte[] { 7 }, DhtTime.Now(time) + 60, cancellationToken: ct);
        SwarmNode? reader = null;
        foreach (var node in swarm.Nodes.Skip(1))
        {
            if (await node.Store.GetAsync(DhtTier.Storage, key, ct) is null)
            {
                reader = node;
                break;
            }
        }

        Assert.NotNull(reader);

        await reader.Dht.GetAsync(key, cancellationToken: ct);

        Assert.Equal(new byte[] { 7 }, (await reader.Store.GetAsync(DhtTier.Cache, key, ct))?.Value.ToArray());
    }

    [Fact]
    public async Task Gets_SurviveChurn()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider(Start);
        await using var swarm = await DhtSwarm.StartAsync(60, SwarmTransport.InMemory, time: time, seed: 23, cancellationToken: ct);
        var keys = Enumerable.Range(0, 40).Select(static i => DhtId.FromKey("churn-" + i)).ToList();
        foreach (var (key, i) in keys.Select(static (k, i) => (k, i)))
        {
            await swarm.Nodes[i % swarm.Nodes.Count].Dht.StoreAsync(key, new byte[] { (byte)i }, DhtTime.Now(time) + 600, cancellationToken: ct);
        }

        var random = new Random(29);
        foreach (var victim in swarm.Nodes.OrderBy(_ => random.Next()).Take(12).ToList())
        {
            await swarm.StopAsync(victim);
        }

        var survivors = swarm.Alive;
        var found = 0;
        foreach (var (key, i) in keys.Select(static (k, i) => (k, i)))
        {
            var item = await survivors[i % survivors.Count].Dht.GetAsync(key, cancellationToken: ct);
            found += item?.Value.Span.SequenceEqual([(byte)i]) == true ? 1 : 0;
        }

        Assert.True(found >= 0.99 * keys.Count, $"{found} of {keys.Count} keys found after 20% churn");
    }

    [Fact]
    public async Task FindNearestNodes_MatchesTheTrueNearest()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var swarm = await DhtSwarm.StartAsync(50, SwarmTransport.InMemory, seed: 31, cancellationToken: ct);
        var query = DhtId.Random();

        var nearest = await swarm.Nodes[0].Dht.FindNearestNodesAsync([query], k: 5, excludeSelf: true, cancellationToken: ct);

        var truth = swarm.Nodes.Skip(1).Select(static n => n.Dht.NodeId).OrderBy(id => query.DistanceTo(id)).Take(5).ToList();
        Assert.Equal(truth, [.. nearest[query].Select(static p => p.NodeId)]);
    }
}
