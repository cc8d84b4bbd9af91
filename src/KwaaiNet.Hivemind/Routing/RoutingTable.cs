// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Security.Cryptography;
using KwaaiNet.Libp2p.Identity;

namespace KwaaiNet.Hivemind.Routing;

/// <summary>
/// Hivemind's Kademlia routing table (hivemind/dht/routing.py <c>RoutingTable</c>): the peers this node knows, in
/// k-buckets that halve the keyspace around its own id. Every peer appears under one node id and every node id under
/// one peer. Safe to use from concurrent RPC handlers; everything it returns is a copy.
/// </summary>
public sealed class RoutingTable
{
    /// <summary>The largest bucket size (k) accepted; hivemind's default is 20.</summary>
    public const int MaxBucketSize = 1024;

    private static readonly Comparer<DhtId> FarthestFirst = Comparer<DhtId>.Create((left, right) => right.CompareTo(left));

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;

    // Ordered by range; together they cover [0, 2^160) without gaps.
    private readonly List<KBucket> _buckets;

    // Every node in a bucket, replacements included; each map is the other's inverse.
    private readonly Dictionary<DhtId, PeerId> _peerByNode = [];
    private readonly Dictionary<PeerId, DhtId> _nodeByPeer = [];

    /// <summary>Creates an empty table: one bucket over the whole keyspace.</summary>
    /// <param name="nodeId">This node's own id; the buckets that hold it always split.</param>
    /// <param name="bucketSize">Nodes per bucket, Kademlia's k (<c>bucket_size</c>), 1 to <see cref="MaxBucketSize"/>.</param>
    /// <param name="depthModulo">
    /// Kademlia's b (<c>depth_modulo</c>), at least 1: a full bucket away from this node's id still splits unless its
    /// depth is a multiple of this.
    /// </param>
    /// <param name="time">The clock for buckets' <see cref="KBucketSnapshot.LastUpdated"/>; the system clock when null.</param>
    public RoutingTable(DhtId nodeId, int bucketSize = 20, int depthModulo = 5, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bucketSize, MaxBucketSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(depthModulo, 1);
        NodeId = nodeId;
        BucketSize = bucketSize;
        DepthModulo = depthModulo;
        _time = time ?? TimeProvider.System;
        _buckets = [new KBucket(BigInteger.Zero, 0, bucketSize, _time)];
    }

    /// <summary>This node's own id, from which distances are measured.</summary>
    public DhtId NodeId { get; }

    /// <summary>Nodes per bucket (k).</summary>
    public int BucketSize { get; }

    /// <summary>The depth modulo (b).</summary>
    public int DepthModulo { get; }

    /// <summary>How many node ids the table knows: nodes in buckets and replacements, as <see cref="Contains"/> counts them.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _peerByNode.Count;
            }
        }
    }

    /// <summary>A copy of every bucket, in keyspace order.</summary>
    public IReadOnlyList<KBucketSnapshot> Buckets
    {
        get
        {
            lock (_lock)
            {
                return [.. _buckets.Select(bucket => bucket.ToSnapshot())];
            }
        }
    }

    /// <summary>
    /// Records that a node answered us or called us (<c>add_or_update_node</c>): it is added to its bucket, or moved to
    /// the bucket's most-recent end. A full bucket splits when its range holds our own id or its depth is not a
    /// multiple of <see cref="DepthModulo"/>; otherwise the newcomer joins the bucket's replacements and the
    /// least-recently-updated node not already being pinged is returned, for the caller to ping and
    /// <see cref="Remove"/> if it does not answer (Kademlia paper §2.2, §4.2). A peer seen before under another node
    /// id loses that entry, and a node id seen before under another peer moves to this one.
    /// </summary>
    /// <returns>The node to ping, or null when the node was stored or every node of the full bucket awaits a ping.</returns>
    public (DhtId NodeId, PeerId PeerId)? AddOrUpdateNode(DhtId nodeId, PeerId peerId)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        lock (_lock)
        {
            if (_nodeByPeer.TryGetValue(peerId, out var previousNodeId) && previousNodeId != nodeId)
            {
                RemoveCore(previousNodeId);
            }

            if (_peerByNode.TryGetValue(nodeId, out var previousPeerId) && previousPeerId != peerId)
            {
                _nodeByPeer.Remove(previousPeerId);
            }

            while (true)
            {
                var index = GetBucketIndex(nodeId);
                var bucket = _buckets[index];
                var stored = bucket.AddOrUpdateNode(nodeId, peerId, out var dropped);
                _peerByNode[nodeId] = peerId;
                _nodeByPeer[peerId] = nodeId;
                if (dropped is { } forgotten)
                {
                    Forget(forgotten.Key, forgotten.Value);
                }

                if (stored)
                {
                    return null;
                }

                if (bucket.Depth < KBucket.IdBits && (bucket.HasInRange(NodeId) || bucket.Depth % DepthModulo != 0))
                {
                    // The newcomer sits among the replacements now; the split re-adds it to its half, then we retry.
                    var (left, right) = bucket.Split();
                    _buckets[index] = left;
                    _buckets.Insert(index + 1, right);
                    continue;
                }

                return bucket.RequestPingNode();
            }
        }
    }

    /// <summary>
    /// Forgets a node or replacement (<c>RoutingTable.__delitem__</c>). A removed node makes room for its bucket's most
    /// recent replacement.
    /// </summary>
    /// <returns>False when the table does not know <paramref name="nodeId"/>.</returns>
    public bool Remove(DhtId nodeId)
    {
        lock (_lock)
        {
            return RemoveCore(nodeId);
        }
    }

    /// <summary>True when <paramref name="nodeId"/> is in a bucket or among its replacements.</summary>
    public bool Contains(DhtId nodeId)
    {
        lock (_lock)
        {
            return _peerByNode.ContainsKey(nodeId);
        }
    }

    /// <summary>The peer of a known node id (bucket node or replacement).</summary>
    public bool TryGetPeer(DhtId nodeId, [NotNullWhen(true)] out PeerId? peerId)
    {
        lock (_lock)
        {
            return _peerByNode.TryGetValue(nodeId, out peerId);
        }
    }

    /// <summary>The node id a known peer goes by (bucket node or replacement).</summary>
    public bool TryGetNode(PeerId peerId, out DhtId nodeId)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        lock (_lock)
        {
            return _nodeByPeer.TryGetValue(peerId, out nodeId);
        }
    }

    /// <summary>
    /// Up to <paramref name="k"/> bucket nodes nearest to <paramref name="queryId"/> by XOR distance, nearest first
    /// (<c>get_nearest_neighbors</c>). Replacements are not returned, and neither is <paramref name="exclude"/>.
    /// </summary>
    public IReadOnlyList<(DhtId NodeId, PeerId PeerId)> GetNearestNeighbors(DhtId queryId, int k, DhtId? exclude = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (k == 0)
        {
            return [];
        }

        lock (_lock)
        {
            // A max-heap of the k nearest so far; distances to one query are distinct for distinct ids.
            var nearest = new PriorityQueue<(DhtId NodeId, PeerId PeerId), DhtId>(Math.Min(k, _peerByNode.Count) + 1, FarthestFirst);
            foreach (var bucket in _buckets)
            {
                foreach (var (nodeId, peerId) in bucket.Nodes)
                {
                    if (nodeId == exclude)
                    {
                        continue;
                    }

                    var distance = nodeId.DistanceTo(queryId);
                    if (nearest.Count < k)
                    {
                        nearest.Enqueue((nodeId, peerId), distance);
                    }
                    else if (nearest.TryPeek(out _, out var farthest) && distance < farthest)
                    {
                        nearest.EnqueueDequeue((nodeId, peerId), distance);
                    }
                }
            }

            var result = new (DhtId NodeId, PeerId PeerId)[nearest.Count];
            for (var i = result.Length - 1; i >= 0; i--)
            {
                result[i] = nearest.Dequeue();
            }

            return result;
        }
    }

    /// <summary>
    /// Buckets no node was added to or updated in for longer than <paramref name="age"/>, to refresh with a lookup of
    /// <see cref="RandomIdInBucket"/> (hivemind/dht/node.py <c>_refresh_routing_table</c>).
    /// </summary>
    public IReadOnlyList<KBucketSnapshot> StaleBuckets(TimeSpan age)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(age, TimeSpan.Zero);
        lock (_lock)
        {
            var threshold = _time.GetUtcNow() - age;
            return [.. _buckets.Where(bucket => bucket.LastUpdated < threshold).Select(bucket => bucket.ToSnapshot())];
        }
    }

    /// <summary>A uniformly random id in the bucket's range.</summary>
    public static DhtId RandomIdInBucket(KBucketSnapshot bucket)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        Span<byte> bytes = stackalloc byte[DhtId.Length];
        RandomNumberGenerator.Fill(bytes);
        var offset = new BigInteger(bytes, isUnsigned: true, isBigEndian: true) & (bucket.Upper - bucket.Lower - 1);
        return KBucket.FromInteger(bucket.Lower + offset);
    }

    // The bucket whose range holds the id: the last one whose lower end is not above it.
    private int GetBucketIndex(DhtId nodeId)
    {
        int lower = 0, upper = _buckets.Count;
        while (upper - lower > 1)
        {
            var pivot = (lower + upper) / 2;
            if (nodeId >= _buckets[pivot].LowerId)
            {
                lower = pivot;
            }
            else
            {
                upper = pivot;
            }
        }

        return lower;
    }

    private bool RemoveCore(DhtId nodeId)
    {
        if (!_peerByNode.Remove(nodeId, out var peerId))
        {
            return false;
        }

        var removed = _buckets[GetBucketIndex(nodeId)].Remove(nodeId);
        Debug.Assert(removed, "the maps hold exactly the buckets' nodes and replacements");
        if (_nodeByPeer.TryGetValue(peerId, out var mapped) && mapped == nodeId)
        {
            _nodeByPeer.Remove(peerId);
        }

        return true;
    }

    private void Forget(DhtId nodeId, PeerId peerId)
    {
        _peerByNode.Remove(nodeId);
        if (_nodeByPeer.TryGetValue(peerId, out var mapped) && mapped == nodeId)
        {
            _nodeByPeer.Remove(peerId);
        }
    }
}
