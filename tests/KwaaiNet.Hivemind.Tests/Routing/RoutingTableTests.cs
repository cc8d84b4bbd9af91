// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Numerics;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Libp2p.Identity;
using Microsoft.Extensions.Time.Testing;

namespace KwaaiNet.Hivemind.Tests.Routing;

public sealed class RoutingTableTests
{
    private static readonly BigInteger KeyspaceEnd = BigInteger.One << 160;

    private readonly Random _random = new(20260512);

    [Theory]
    [InlineData(0, 5)]
    [InlineData(-1, 5)]
    [InlineData(RoutingTable.MaxBucketSize + 1, 5)]
    [InlineData(20, 0)]
    [InlineData(20, -3)]
    public void Constructor_RejectsBadParameters(int bucketSize, int depthModulo)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RoutingTable(Id("00"), bucketSize, depthModulo));
    }

    [Fact]
    public void NewTable_IsOneEmptyBucketOverTheWholeKeyspace()
    {
        var table = new RoutingTable(Id("42"));

        var bucket = Assert.Single(table.Buckets);
        Assert.Equal(BigInteger.Zero, bucket.Lower);
        Assert.Equal(KeyspaceEnd, bucket.Upper);
        Assert.Equal(0, bucket.Depth);
        Assert.Empty(bucket.Nodes);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void BadInputs_AreRejected()
    {
        var table = new RoutingTable(Id("00"));

        Assert.Throws<ArgumentNullException>(() => table.AddOrUpdateNode(Id("01"), null!));
        Assert.Throws<ArgumentNullException>(() => table.TryGetNode(null!, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.GetNearestNeighbors(Id("01"), -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.StaleBuckets(TimeSpan.FromSeconds(-1)));
        Assert.Throws<ArgumentNullException>(() => RoutingTable.RandomIdInBucket(null!));
        Assert.False(table.Remove(Id("01")));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void OwnIdBucket_SplitsAllTheWayDown_WhateverTheDepthModulo(int depthModulo)
    {
        // Our id is 0 and every newcomer is in the bucket holding it, so each full bucket splits, down to two ids.
        var table = new RoutingTable(Id("00"), bucketSize: 2, depthModulo: depthModulo);

        for (var value = 1; value <= 3; value++)
        {
            Assert.Null(table.AddOrUpdateNode(IdOf(value), NewPeer()));
        }

        var buckets = table.Buckets;
        Assert.Equal(3, table.Count);
        Assert.All(buckets, bucket => Assert.Empty(bucket.Replacements));
        Assert.Equal(159, buckets.Max(bucket => bucket.Depth));
        Assert.Equal(BigInteger.Zero, buckets[0].Lower);
        Assert.Equal(2, buckets[0].Upper);
        Assert.Equal([IdOf(2), IdOf(3)], buckets[1].Nodes.Select(node => node.NodeId));
        AssertConsistent(table);
    }

    [Fact]
    public void FullFarBucket_AtDepthMultipleOfModulo_ReturnsTheLeastRecentNodeToPing()
    {
        var table = new RoutingTable(Id("00"), bucketSize: 2, depthModulo: 5);
        var (a, b, c, d, e) = (Id("8000"), Id("8001"), Id("8002"), Id("8003"), Id("8004"));
        var (peerA, peerB, peerC, peerD, peerE) = (NewPeer(), NewPeer(), NewPeer(), NewPeer(), NewPeer());

        Assert.Null(table.AddOrUpdateNode(a, peerA));
        Assert.Null(table.AddOrUpdateNode(b, peerB));
        Assert.Equal((a, peerA), table.AddOrUpdateNode(c, peerC));

        var bucket = BucketOf(table, a);
        Assert.Equal(5, bucket.Depth);
        Assert.Equal([(a, peerA), (b, peerB)], bucket.Nodes);
        Assert.Equal([(c, peerC)], bucket.Replacements);
        Assert.Equal([a], bucket.NodesRequestedForPing);
        Assert.True(table.Contains(c));
        Assert.True(table.TryGetPeer(c, out var foundC) && foundC == peerC);
        Assert.DoesNotContain(table.GetNearestNeighbors(c, 10), node => node.NodeId == c);

        // A is already being pinged, so the next newcomer asks for B; after that nobody is left to ask for.
        Assert.Equal((b, peerB), table.AddOrUpdateNode(d, peerD));
        Assert.Null(table.AddOrUpdateNode(e, peerE));

        // Replacements are bounded by the bucket size: C, the oldest, is forgotten.
        bucket = BucketOf(table, a);
        Assert.Equal([(d, peerD), (e, peerE)], bucket.Replacements);
        Assert.False(table.Contains(c));
        Assert.False(table.TryGetNode(peerC, out _));

        // A answers its ping: it moves to the most recent end and is no longer awaited.
        Assert.Null(table.AddOrUpdateNode(a, peerA));
        bucket = BucketOf(table, a);
        Assert.Equal([(b, peerB), (a, peerA)], bucket.Nodes);
        Assert.Equal([b], bucket.NodesRequestedForPing);
        AssertConsistent(table);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(8)]
    public void FullFarBucket_StopsSplittingAtTheFirstDepthThatIsAMultipleOfTheModulo(int depthModulo)
    {
        // Three ids sharing their first 14 bits, all far from ours: the chain of splits stops at depth b.
        var table = new RoutingTable(Id("00"), bucketSize: 2, depthModulo: depthModulo);
        Assert.Null(table.AddOrUpdateNode(Id("8000"), NewPeer()));
        Assert.Null(table.AddOrUpdateNode(Id("8001"), NewPeer()));

        Assert.NotNull(table.AddOrUpdateNode(Id("8002"), NewPeer()));
        Assert.Equal(depthModulo, BucketOf(table, Id("8000")).Depth);
    }

    [Fact]
    public void Split_SendsEachNodeToItsHalf_AndAReplacementBecomesANodeWhereThereIsRoom()
    {
        var table = new RoutingTable(Id("00"), bucketSize: 2);
        var (far, near, farther) = (Id("80"), IdOf(1), Id("c0"));

        table.AddOrUpdateNode(far, NewPeer());
        table.AddOrUpdateNode(near, NewPeer());
        Assert.Null(table.AddOrUpdateNode(farther, NewPeer()));

        var buckets = table.Buckets;
        Assert.Equal(2, buckets.Count);
        Assert.Equal([near], buckets[0].Nodes.Select(node => node.NodeId));
        Assert.Equal([far, farther], buckets[1].Nodes.Select(node => node.NodeId));
        Assert.All(buckets, bucket => Assert.Empty(bucket.Replacements));
        Assert.All(buckets, bucket => Assert.Equal(1, bucket.Depth));
    }

    [Fact]
    public void IdAtTheMidpoint_GoesToTheRightHalf_AndCanBeRemoved()
    {
        var table = new RoutingTable(Id("00"), bucketSize: 1);
        var midpoint = Id("80");

        table.AddOrUpdateNode(midpoint, NewPeer());
        table.AddOrUpdateNode(IdOf(1), NewPeer());

        Assert.Contains(BucketOf(table, midpoint).Nodes, node => node.NodeId == midpoint);
        Assert.True(table.Remove(midpoint));
        Assert.False(table.Contains(midpoint));
        AssertConsistent(table);
    }

    [Fact]
    public void Update_MovesTheNodeToTheMostRecentEnd()
    {
        var table = new RoutingTable(Id("00"), bucketSize: 3);
        var ids = new[] { Id("10"), Id("20"), Id("30") };
        var peers = ids.Select(_ => NewPeer()).ToArray();
        for (var i = 0; i < ids.Length; i++)
        {
            table.AddOrUpdateNode(ids[i], peers[i]);
        }

        Assert.Null(table.AddOrUpdateNode(ids[0], peers[0]));

        Assert.Equal([ids[1], ids[2], ids[0]], Assert.Single(table.Buckets).Nodes.Select(node => node.NodeId));
    }

    [Fact]
    public void Update_RefreshesLastUpdated()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var table = new RoutingTable(Id("00"), time: time);
        table.AddOrUpdateNode(Id("10"), NewPeer());

        time.Advance(TimeSpan.FromMinutes(3));
        table.AddOrUpdateNode(Id("10"), NewPeer());

        Assert.Equal(time.GetUtcNow(), Assert.Single(table.Buckets).LastUpdated);
    }

    [Fact]
    public void Remove_PromotesTheMostRecentReplacement()
    {
        var table = FullFarBucket(out var a, out var b, out var c, out var d);

        Assert.True(table.Remove(a));

        var bucket = BucketOf(table, b);
        Assert.Equal([b, d], bucket.Nodes.Select(node => node.NodeId));
        Assert.Equal([c], bucket.Replacements.Select(node => node.NodeId));
        Assert.False(table.Contains(a));
        Assert.False(table.Remove(a));
        Assert.Contains(table.GetNearestNeighbors(d, 1), node => node.NodeId == d);
        AssertConsistent(table);
    }

    [Fact]
    public void Remove_OfAReplacement_LeavesTheNodesAlone()
    {
        var table = FullFarBucket(out var a, out var b, out var c, out var d);

        Assert.True(table.Remove(c));

        var bucket = BucketOf(table, a);
        Assert.Equal([a, b], bucket.Nodes.Select(node => node.NodeId));
        Assert.Equal([d], bucket.Replacements.Select(node => node.NodeId));
        Assert.False(table.Contains(c));
        AssertConsistent(table);
    }

    [Fact]
    public void Remove_ForgetsAPendingPing()
    {
        var table = FullFarBucket(out var a, out var b, out _, out _);
        Assert.Equal([a, b], BucketOf(table, a).NodesRequestedForPing);

        table.Remove(a);

        Assert.Equal([b], table.Buckets.SelectMany(bucket => bucket.NodesRequestedForPing));
    }

    [Fact]
    public void KnownPeer_WithANewNodeId_LosesItsOldEntry()
    {
        var table = new RoutingTable(Id("00"));
        var peer = NewPeer();

        table.AddOrUpdateNode(Id("10"), peer);
        table.AddOrUpdateNode(Id("20"), peer);

        Assert.False(table.Contains(Id("10")));
        Assert.True(table.TryGetNode(peer, out var nodeId) && nodeId == Id("20"));
        Assert.True(table.TryGetPeer(Id("20"), out var found) && found == peer);
        Assert.Equal(1, table.Count);
        AssertConsistent(table);
    }

    [Fact]
    public void KnownNodeId_WithANewPeer_MovesToThatPeer()
    {
        var table = new RoutingTable(Id("00"));
        var (oldPeer, newPeer) = (NewPeer(), NewPeer());

        table.AddOrUpdateNode(Id("10"), oldPeer);
        table.AddOrUpdateNode(Id("10"), newPeer);

        Assert.False(table.TryGetNode(oldPeer, out _));
        Assert.True(table.TryGetPeer(Id("10"), out var found) && found == newPeer);
        Assert.Equal([(Id("10"), newPeer)], Assert.Single(table.Buckets).Nodes);
        AssertConsistent(table);
    }

    [Fact]
    public void KnownPeer_ReKeyedOutOfAFullBucket_PromotesAReplacement()
    {
        var table = FullFarBucket(out var a, out var b, out var c, out var d);
        Assert.True(table.TryGetPeer(a, out var peerA));

        table.AddOrUpdateNode(IdOf(5), peerA);

        Assert.False(table.Contains(a));
        Assert.Equal([b, d], BucketOf(table, b).Nodes.Select(node => node.NodeId));
        Assert.Equal([c], BucketOf(table, b).Replacements.Select(node => node.NodeId));
        Assert.True(table.TryGetNode(peerA, out var nodeId) && nodeId == IdOf(5));
        AssertConsistent(table);
    }

    [Fact]
    public void NearestNeighbors_EqualABruteForceXorSort()
    {
        var table = new RoutingTable(RandomId());
        var peers = new Dictionary<DhtId, PeerId>();
        for (var i = 0; i < 1000; i++)
        {
            var id = RandomId();
            var peer = NewPeer();
            peers[id] = peer;
            table.AddOrUpdateNode(id, peer);
        }

        var buckets = table.Buckets;
        var active = buckets.SelectMany(bucket => bucket.Nodes).ToArray();
        Assert.True(buckets.Sum(bucket => bucket.Replacements.Count) > 0, "some far buckets overflow into replacements");
        Assert.All(active, node => Assert.Equal(peers[node.NodeId], node.PeerId));

        for (var trial = 0; trial < 300; trial++)
        {
            var query = trial % 3 == 0 ? active[_random.Next(active.Length)].NodeId : RandomId();
            var k = _random.Next(0, 70);
            DhtId? exclude = trial % 2 == 0 ? active[_random.Next(active.Length)].NodeId : null;
            if (trial % 6 == 0)
            {
                exclude = query;
            }

            var expected = active
                .Where(node => node.NodeId != exclude)
                .OrderBy(node => node.NodeId.DistanceTo(query))
                .Take(k)
                .ToArray();

            Assert.Equal(expected, table.GetNearestNeighbors(query, k, exclude));
        }

        AssertConsistent(table);
    }

    [Fact]
    public void NearestNeighbors_Exclude_SkipsOnlyThatNode()
    {
        var table = new RoutingTable(Id("00"));
        var (one, two, three) = (Id("01"), Id("02"), Id("f0"));
        table.AddOrUpdateNode(one, NewPeer());
        table.AddOrUpdateNode(two, NewPeer());
        table.AddOrUpdateNode(three, NewPeer());

        Assert.Equal([one], table.GetNearestNeighbors(one, 1).Select(node => node.NodeId));
        Assert.Equal([two], table.GetNearestNeighbors(one, 1, exclude: one).Select(node => node.NodeId));
        Assert.Equal([two, three], table.GetNearestNeighbors(one, 5, exclude: one).Select(node => node.NodeId));
        Assert.Equal([one, two, three], table.GetNearestNeighbors(one, int.MaxValue, exclude: Id("77")).Select(node => node.NodeId));
        Assert.Empty(table.GetNearestNeighbors(one, 0));
    }

    [Fact]
    public void StaleBuckets_AreThoseNotUpdatedForLongerThanTheAge()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var table = new RoutingTable(Id("00"), bucketSize: 1, time: time);
        table.AddOrUpdateNode(Id("80"), NewPeer());
        table.AddOrUpdateNode(Id("40"), NewPeer());
        table.AddOrUpdateNode(Id("20"), NewPeer());
        var bucketCount = table.Buckets.Count;

        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Empty(table.StaleBuckets(TimeSpan.FromMinutes(10)));

        time.Advance(TimeSpan.FromSeconds(1));
        table.AddOrUpdateNode(Id("40"), NewPeer());
        var stale = table.StaleBuckets(TimeSpan.FromMinutes(10));

        Assert.Equal(bucketCount - 1, stale.Count);
        Assert.DoesNotContain(stale, bucket => bucket.HasInRange(Id("40")));
        Assert.Equal(bucketCount, table.StaleBuckets(TimeSpan.Zero).Count + 1);
    }

    [Fact]
    public void RandomIdInBucket_LiesInTheBucket()
    {
        var table = new RoutingTable(RandomId(), bucketSize: 4);
        for (var i = 0; i < 200; i++)
        {
            table.AddOrUpdateNode(RandomId(), NewPeer());
        }

        var buckets = table.Buckets;
        Assert.True(buckets.Count > 1);
        foreach (var bucket in buckets)
        {
            var ids = Enumerable.Range(0, 20).Select(_ => RoutingTable.RandomIdInBucket(bucket)).ToArray();
            Assert.All(ids, id => Assert.True(bucket.HasInRange(id), $"{id} lies in depth-{bucket.Depth} bucket"));
            Assert.True(bucket.Depth > 150 || ids.Distinct().Count() > 1, "ids vary within a wide bucket");
        }
    }

    [Fact]
    public async Task ConcurrentUse_KeepsTheTableConsistentAsync()
    {
        var table = new RoutingTable(RandomId(), bucketSize: 8);
        var seeds = Enumerable.Range(0, 8).Select(_ => _random.Next()).ToArray();
        var peers = Enumerable.Range(0, 64).Select(_ => NewPeer()).ToArray();

        var workers = seeds.Select(seed => Task.Run(
            () =>
            {
                var random = new Random(seed);
                for (var i = 0; i < 2000; i++)
                {
                    var id = RandomId(random);
                    switch (random.Next(4))
                    {
                        case 0:
                            table.GetNearestNeighbors(id, 20);
                            break;
                        case 1:
                            var known = table.GetNearestNeighbors(id, 1);
                            if (known.Count > 0)
                            {
                                table.Remove(known[0].NodeId);
                            }

                            break;
                        default:
                            table.AddOrUpdateNode(id, peers[random.Next(peers.Length)]);
                            break;
                    }
                }
            },
            TestContext.Current.CancellationToken));

        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.InRange(table.Count, 0, peers.Length);
        AssertConsistent(table);
    }

    // A far bucket (depth 5, k = 2) holding A and B, both awaiting a ping, with replacements C then D.
    private RoutingTable FullFarBucket(out DhtId a, out DhtId b, out DhtId c, out DhtId d)
    {
        var table = new RoutingTable(Id("00"), bucketSize: 2, depthModulo: 5);
        (a, b, c, d) = (Id("8000"), Id("8001"), Id("8002"), Id("8003"));
        table.AddOrUpdateNode(a, NewPeer());
        table.AddOrUpdateNode(b, NewPeer());
        table.AddOrUpdateNode(c, NewPeer());
        table.AddOrUpdateNode(d, NewPeer());
        var bucket = BucketOf(table, a);
        Assert.Equal([a, b], bucket.Nodes.Select(node => node.NodeId));
        Assert.Equal([c, d], bucket.Replacements.Select(node => node.NodeId));
        return table;
    }

    // Buckets tile the keyspace; every entry is in its bucket's range, at most k of each kind, each node id and each peer
    // once; the lookups agree with the buckets both ways.
    private static void AssertConsistent(RoutingTable table)
    {
        var buckets = table.Buckets;
        var expectedLower = BigInteger.Zero;
        var entries = new List<(DhtId NodeId, PeerId PeerId)>();
        foreach (var bucket in buckets)
        {
            Assert.Equal(expectedLower, bucket.Lower);
            Assert.Equal(BigInteger.One << (160 - bucket.Depth), bucket.Upper - bucket.Lower);
            Assert.InRange(bucket.Nodes.Count, 0, table.BucketSize);
            Assert.InRange(bucket.Replacements.Count, 0, table.BucketSize);
            Assert.True(bucket.Replacements.Count == 0 || bucket.Nodes.Count == table.BucketSize, "replacements wait only on a full bucket");
            Assert.All(bucket.Nodes.Concat(bucket.Replacements), node => Assert.True(bucket.HasInRange(node.NodeId)));
            Assert.All(bucket.NodesRequestedForPing, id => Assert.Contains(bucket.Nodes, node => node.NodeId == id));
            entries.AddRange(bucket.Nodes);
            entries.AddRange(bucket.Replacements);
            expectedLower = bucket.Upper;
        }

        Assert.Equal(KeyspaceEnd, expectedLower);
        Assert.Equal(entries.Count, table.Count);
        Assert.Equal(entries.Count, entries.Select(entry => entry.NodeId).Distinct().Count());
        Assert.Equal(entries.Count, entries.Select(entry => entry.PeerId).Distinct().Count());
        foreach (var (nodeId, peerId) in entries)
        {
            Assert.True(table.TryGetPeer(nodeId, out var peer) && peer == peerId);
            Assert.True(table.TryGetNode(peerId, out var node) && node == nodeId);
        }
    }

    private static KBucketSnapshot BucketOf(RoutingTable table, DhtId id) => Assert.Single(table.Buckets, bucket => bucket.HasInRange(id));

    // An id from a hex prefix, zero-padded to 20 bytes.
    private static DhtId Id(string hexPrefix) => DhtId.FromBytes(Convert.FromHexString(hexPrefix.PadRight(DhtId.Length * 2, '0')));

    private static DhtId IdOf(int value)
    {
        var bytes = new byte[DhtId.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(DhtId.Length - 4), value);
        return DhtId.FromBytes(bytes);
    }

    private DhtId RandomId() => RandomId(_random);

    private static DhtId RandomId(Random random)
    {
        var bytes = new byte[DhtId.Length];
        random.NextBytes(bytes);
        return DhtId.FromBytes(bytes);
    }

    // A sha2-256 peer id over seeded random bytes, as hashed-key peers (RSA) carry.
    private PeerId NewPeer()
    {
        var multihash = new byte[34];
        multihash[0] = 0x12;
        multihash[1] = 0x20;
        _random.NextBytes(multihash.AsSpan(2));
        return PeerId.FromMultihash(multihash);
    }
}
