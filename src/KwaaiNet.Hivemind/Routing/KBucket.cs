// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using System.Numerics;
using KwaaiNet.Libp2p.Identity;

namespace KwaaiNet.Hivemind.Routing;

/// <summary>
/// One k-bucket of a <see cref="RoutingTable"/> (hivemind/dht/routing.py <c>KBucket</c>): up to <see cref="Size"/>
/// nodes whose ids lie in [<see cref="Lower"/>, <see cref="Upper"/>), least-recently-updated first, and the nodes met
/// while it was full (replacements, Kademlia paper §4.1). Not thread-safe: the table guards it with its lock.
/// </summary>
internal sealed class KBucket
{
    /// <summary>Bits in a DHT id; a bucket's range is 2^(IdBits − depth) ids wide.</summary>
    internal const int IdBits = DhtId.Length * 8;

    /// <summary>2^160, the exclusive upper end of the keyspace (<c>DHTID.MAX</c>).</summary>
    internal static readonly BigInteger KeyspaceEnd = BigInteger.One << IdBits;

    private readonly TimeProvider _time;

    // Insertion order is recency order: an update moves an entry to the end, as hivemind re-inserts into its dict.
    private readonly OrderedDictionary<DhtId, PeerId> _nodes = [];
    private readonly OrderedDictionary<DhtId, PeerId> _replacements = [];
    private readonly HashSet<DhtId> _requestedForPing = [];

    public KBucket(BigInteger lower, int depth, int size, TimeProvider time)
    {
        Debug.Assert(depth is >= 0 and <= IdBits, "a bucket's depth is within the id's bits");
        Lower = lower;
        Upper = lower + (BigInteger.One << (IdBits - depth));
        Debug.Assert(lower >= 0 && Upper <= KeyspaceEnd && (lower % (Upper - lower)).IsZero, "a bucket is an aligned prefix range");
        LowerId = FromInteger(lower);
        Depth = depth;
        Size = size;
        _time = time;
        LastUpdated = time.GetUtcNow();
    }

    /// <summary>The smallest id in range.</summary>
    public BigInteger Lower { get; }

    /// <summary>The smallest id above the range (up to 2^160).</summary>
    public BigInteger Upper { get; }

    /// <summary><see cref="Lower"/> as an id, for ordering buckets without big-integer arithmetic.</summary>
    public DhtId LowerId { get; }

    /// <summary>How many halvings of the keyspace this bucket is (0 for the whole keyspace).</summary>
    public int Depth { get; }

    /// <summary>The most nodes it holds, and the most replacements it remembers (k).</summary>
    public int Size { get; }

    /// <summary>When a node was last added or updated here (<c>KBucket.last_updated</c>).</summary>
    public DateTimeOffset LastUpdated { get; private set; }

    public int NodeCount => _nodes.Count;

    public bool HasInRange(DhtId id)
    {
        var value = ToInteger(id);
        return value >= Lower && value < Upper;
    }

    public bool ContainsNode(DhtId id) => _nodes.ContainsKey(id);

    public bool ContainsReplacement(DhtId id) => _replacements.ContainsKey(id);

    /// <summary>
    /// Adds the node or moves it to the most-recent end (<c>KBucket.add_or_update_node</c>). False when the bucket is
    /// full: the node is then remembered (most recent) among the replacements, and when that list grows past
    /// <see cref="Size"/> its oldest entry is dropped and returned in <paramref name="droppedReplacement"/>.
    /// </summary>
    public bool AddOrUpdateNode(DhtId nodeId, PeerId peerId, out KeyValuePair<DhtId, PeerId>? droppedReplacement)
    {
        droppedReplacement = null;
        _requestedForPing.Remove(nodeId);
        LastUpdated = _time.GetUtcNow();

        if (_nodes.Remove(nodeId) || _nodes.Count < Size)
        {
            // Replacements are only kept while the bucket is full; one that finds room becomes a node.
            _replacements.Remove(nodeId);
            _nodes.Add(nodeId, peerId);
            return true;
        }

        _replacements.Remove(nodeId);
        _replacements.Add(nodeId, peerId);
        if (_replacements.Count > Size)
        {
            // Hivemind keeps every replacement; a bounded list forgets the one heard from longest ago.
            droppedReplacement = _replacements.GetAt(0);
            _replacements.RemoveAt(0);
        }

        return false;
    }

    /// <summary>
    /// The least-recently-updated node not already awaiting a ping, now marked as awaiting one; null when every node
    /// is (<c>KBucket.request_ping_node</c>).
    /// </summary>
    public (DhtId NodeId, PeerId PeerId)? RequestPingNode()
    {
        foreach (var (nodeId, peerId) in _nodes)
        {
            if (_requestedForPing.Add(nodeId))
            {
                return (nodeId, peerId);
            }
        }

        return null;
    }

    /// <summary>
    /// Forgets the node. A removed node (not a removed replacement) makes room for the most recent replacement
    /// (<c>KBucket.__delitem__</c>). False when the id is in neither list.
    /// </summary>
    public bool Remove(DhtId nodeId)
    {
        _requestedForPing.Remove(nodeId);
        if (_replacements.Remove(nodeId))
        {
            return true;
        }

        if (!_nodes.Remove(nodeId))
        {
            return false;
        }

        if (_replacements.Count > 0)
        {
            var promoted = _replacements.GetAt(_replacements.Count - 1);
            _replacements.RemoveAt(_replacements.Count - 1);
            _nodes.Add(promoted.Key, promoted.Value);
        }

        return true;
    }

    /// <summary>
    /// Splits the range at its midpoint (<c>KBucket.split</c>): nodes, then replacements, are re-added in order to the
    /// half that holds them, so a replacement becomes a node where its half has room. Both halves start fresh: updated
    /// now, with no pending pings. Hivemind sends an id equal to the midpoint to the left half, outside that half's
    /// range; here every id goes to the half whose range holds it, so a later lookup finds it.
    /// </summary>
    public (KBucket Left, KBucket Right) Split()
    {
        Debug.Assert(Depth < IdBits, "a one-id bucket cannot split");
        var left = new KBucket(Lower, Depth + 1, Size, _time);
        var right = new KBucket((Lower + Upper) >> 1, Depth + 1, Size, _time);
        foreach (var (nodeId, peerId) in _nodes.Concat(_replacements))
        {
            var half = right.HasInRange(nodeId) ? right : left;
            half.AddOrUpdateNode(nodeId, peerId, out var dropped);
            Debug.Assert(dropped is null, "a half never holds more replacements than the whole");
        }

        return (left, right);
    }

    /// <summary>The nodes, least-recently-updated first.</summary>
    public IEnumerable<KeyValuePair<DhtId, PeerId>> Nodes => _nodes;

    public KBucketSnapshot ToSnapshot() => new(
        Lower,
        Upper,
        Depth,
        [.. _nodes.Select(entry => (entry.Key, entry.Value))],
        [.. _replacements.Select(entry => (entry.Key, entry.Value))],
        [.. _nodes.Keys.Where(_requestedForPing.Contains)],
        LastUpdated);

    /// <summary>The id as the unsigned 160-bit number it is.</summary>
    internal static BigInteger ToInteger(DhtId id)
    {
        Span<byte> bytes = stackalloc byte[DhtId.Length];
        id.WriteTo(bytes);
        return new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
    }

    /// <summary>The id of a number in [0, 2^160).</summary>
    internal static DhtId FromInteger(BigInteger value)
    {
        Debug.Assert(value >= 0 && value < KeyspaceEnd, "an id is a 160-bit unsigned number");
        Span<byte> bytes = stackalloc byte[DhtId.Length];
        bytes.Clear();
        var length = value.GetByteCount(isUnsigned: true);
        value.TryWriteBytes(bytes[(DhtId.Length - length)..], out _, isUnsigned: true, isBigEndian: true);
        return DhtId.FromBytes(bytes);
    }
}
