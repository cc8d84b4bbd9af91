// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Numerics;
using KwaaiNet.Libp2p.Identity;

namespace KwaaiNet.Hivemind.Routing;

/// <summary>
/// A copy of one k-bucket of a <see cref="RoutingTable"/> as it was when taken (hivemind/dht/routing.py
/// <c>KBucket</c>): later changes to the table do not show here.
/// </summary>
public sealed class KBucketSnapshot
{
    internal KBucketSnapshot(
        BigInteger lower,
        BigInteger upper,
        int depth,
        IReadOnlyList<(DhtId NodeId, PeerId PeerId)> nodes,
        IReadOnlyList<(DhtId NodeId, PeerId PeerId)> replacements,
        IReadOnlyList<DhtId> nodesRequestedForPing,
        DateTimeOffset lastUpdated)
    {
        Lower = lower;
        Upper = upper;
        Depth = depth;
        Nodes = nodes;
        Replacements = replacements;
        NodesRequestedForPing = nodesRequestedForPing;
        LastUpdated = lastUpdated;
    }

    /// <summary>The smallest id in the bucket's range, as an unsigned 160-bit number.</summary>
    public BigInteger Lower { get; }

    /// <summary>The smallest id above the range: <see cref="Lower"/> + 2^(160 − <see cref="Depth"/>), at most 2^160.</summary>
    public BigInteger Upper { get; }

    /// <summary>How many times the keyspace was halved to make this range (0 for the whole keyspace).</summary>
    public int Depth { get; }

    /// <summary>The bucket's nodes, least-recently-updated first.</summary>
    public IReadOnlyList<(DhtId NodeId, PeerId PeerId)> Nodes { get; }

    /// <summary>Nodes met while the bucket was full, oldest first; the last one takes the place of a removed node.</summary>
    public IReadOnlyList<(DhtId NodeId, PeerId PeerId)> Replacements { get; }

    /// <summary>Nodes handed out to be pinged that have not been heard from since (<c>nodes_requested_for_ping</c>).</summary>
    public IReadOnlyList<DhtId> NodesRequestedForPing { get; }

    /// <summary>When a node was last added to or updated in the bucket (<c>last_updated</c>).</summary>
    public DateTimeOffset LastUpdated { get; }

    /// <summary>True when <paramref name="id"/> lies in [<see cref="Lower"/>, <see cref="Upper"/>).</summary>
    public bool HasInRange(DhtId id)
    {
        var value = KBucket.ToInteger(id);
        return value >= Lower && value < Upper;
    }
}
