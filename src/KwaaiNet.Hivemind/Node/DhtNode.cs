// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Collections.Concurrent;
using KwaaiNet.Hivemind.Protocol;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Storage;
using KwaaiNet.Hivemind.Values;
using KwaaiNet.Libp2p.Identity;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Hivemind.Node;

/// <summary>
/// A Hivemind-compatible DHT node (hivemind's <c>hivemind/dht/node.py::DHTNode</c>): bootstrap from initial peers,
/// iterative beam-search lookups, stores placed on the nearest nodes and, for upstream compatibility, on every
/// bootstrap peer as well, gets that stop at the first unexpired value (or search for the latest), caching of found
/// values locally and on the nearest node that lacked them, and refresh of stale buckets.
/// </summary>
public sealed class DhtNode : IAsyncDisposable
{
    private readonly DhtOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<PeerId, (double Until, int Failures)> _blacklist = new();
    private readonly BackgroundWork _background;
    private readonly Lock _bootstrapLock = new();
    private List<PeerId> _bootstrapPeers = [];

    /// <summary>Creates a node around <paramref name="protocol"/>.</summary>
    public DhtNode(DhtProtocol protocol, DhtOptions options, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        Protocol = protocol;
        _options = options;
        _time = time;
        _logger = logger;
        _background = new BackgroundWork(logger);
    }

    /// <summary>This node's id.</summary>
    public DhtId NodeId => Protocol.NodeId;

    /// <summary>The protocol: handlers, calls, routing table and local records.</summary>
    public DhtProtocol Protocol { get; }

    /// <summary>The routing table.</summary>
    public RoutingTable RoutingTable => Protocol.RoutingTable;

    /// <summary>The bootstrap peers given to the last <see cref="BootstrapAsync"/>; stores go to them as well.</summary>
    public IReadOnlyList<PeerId> BootstrapPeers
    {
        get
        {
            lock (_bootstrapLock)
            {
                return _bootstrapPeers;
            }
        }
    }

    private int BeamSize => _options.BeamSize > 0 ? _options.BeamSize : _options.BucketSize;

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _background.DisposeAsync().ConfigureAwait(false);
        await Protocol.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Joins the DHT through <paramref name="peers"/> (hivemind's <c>DHTNode.create</c> with <c>initial_peers</c>):
    /// pings them (asking them to validate that they can reach us), then looks up our own id to fill the routing
    /// table. Returns how many answered. The peers are remembered: every store also goes to them.
    /// </summary>
    public async Task<int> BootstrapAsync(IReadOnlyList<PeerId> peers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peers);
        lock (_bootstrapLock)
        {
            _bootstrapPeers = [.. peers.Distinct()];
        }

        var pings = await Task.WhenAll(peers.Distinct().Select(p => Protocol.CallPingAsync(p, validate: true, cancellationToken))).ConfigureAwait(false);
        var answered = pings.Count(static id => id is not null);
        if (answered > 0)
        {
            await FindNearestNodesAsync([NodeId], cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        return answered;
    }

    /// <summary>
    /// The <paramref name="k"/> nearest nodes to each query that the network knows (hivemind's
    /// <c>find_nearest_nodes</c>), nearest first; this node is among them unless <paramref name="excludeSelf"/>.
    /// </summary>
    public async Task<IReadOnlyDictionary<DhtId, IReadOnlyList<DhtPeer>>> FindNearestNodesAsync(
        IReadOnlyCollection<DhtId> queries, int? k = null, bool excludeSelf = false, PeerId? self = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var kNearest = k ?? _options.BucketSize;
        var beam = Math.Max(BeamSize, kNearest);
        var known = new ConcurrentDictionary<DhtId, PeerId>();
        foreach (var query in queries)
        {
            foreach (var (nodeId, peerId) in RoutingTable.GetNearestNeighbors(query, beam, NodeId))
            {
                if (!IsBlacklisted(peerId))
                {
                    known[nodeId] = peerId;
                }
            }
        }

        var search = await BeamSearch.RunAsync(
            queries,
            [.. known.Keys],
            beam,
            _options.Parallelism,
            (int)Math.Sqrt(queries.Count),
            (peer, calls, ct) => NeighborsAsync(known, peer, calls, null, ct),
            null,
            [NodeId],
            cancellationToken).ConfigureAwait(false);

        var result = new Dictionary<DhtId, IReadOnlyList<DhtPeer>>();
        foreach (var (query, nodes) in search.Nearest)
        {
            IEnumerable<DhtPeer> peers = nodes.Where(known.ContainsKey).Select(n => new DhtPeer(n, known[n]));
            if (!excludeSelf && self is not null)
            {
                peers = peers.Append(new DhtPeer(NodeId, self));
            }

            result[query] = [.. peers.OrderBy(p => query.DistanceTo(p.NodeId)).Take(kNearest)];
        }

        return result;
    }

    /// <summary>
    /// Stores <paramref name="items"/> (hivemind's <c>store_many</c>): for each key, on up to
    /// <see cref="DhtOptions.NumReplicas"/> of the nearest nodes found by beam search (this node included when it is among
    /// them), trying farther nodes when near ones fail; then, when <see cref="DhtOptions.ReplicateToBootstraps"/>, on
    /// every bootstrap peer too (upstream KwaaiNet stores only there, and the public map reads them). Returns per item
    /// whether any node accepted it, with the number of nodes that did.
    /// </summary>
    public async Task<IReadOnlyList<DhtStoreOutcome>> StoreManyAsync(IReadOnlyList<DhtStoreItem> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var now = DhtTime.Now(_time);
        for (var i = 0; i < items.Count; i++)
        {
            Protocol.Validate(items[i], i, caller: null, now);
        }

        var outcomes = new DhtStoreOutcome[items.Count];
        var byKey = items.Select((item, index) => (item, index)).GroupBy(static x => x.item.Key).ToDictionary(static g => g.Key, static g => g.ToList());
        var known = new ConcurrentDictionary<DhtId, PeerId>();
        foreach (var key in byKey.Keys)
        {
            foreach (var (nodeId, peerId) in RoutingTable.GetNearestNeighbors(key, _options.BucketSize, NodeId))
            {
                known[nodeId] = peerId;
            }
        }

        var replicasDone = new ConcurrentDictionary<DhtId, HashSet<PeerId>>();
        await BeamSearch.RunAsync(
            byKey.Keys,
            [.. known.Keys],
            Math.Max(BeamSize, _options.NumReplicas),
            _options.Parallelism,
            (int)Math.Sqrt(byKey.Count),
            (peer, calls, ct) => NeighborsAsync(known, peer, calls, null, ct),
            async (key, nearest) => replicasDone[key] = await StoreOnNearestAsync(key, byKey[key], nearest, known, outcomes, cancellationToken).ConfigureAwait(false),
            [NodeId],
            cancellationToken).ConfigureAwait(false);

        if (_options.ReplicateToBootstraps)
        {
            await Task.WhenAll(BootstrapPeers.Select(peer => StoreOnBootstrapAsync(peer, byKey, replicasDone, outcomes, cancellationToken))).ConfigureAwait(false);
        }

        return outcomes;
    }

    /// <summary>Stores one regular value under <paramref name="key"/>.</summary>
    public async Task<DhtStoreOutcome> StoreAsync(DhtId key, ReadOnlyMemory<byte> value, double expirationTime, ReadOnlyMemory<byte>? subkey = null, CancellationToken cancellationToken = default)
    {
        var item = new DhtStoreItem(key, subkey ?? DhtMsgPack.RegularValueTag, value, expirationTime);
        return (await StoreManyAsync([item], cancellationToken).ConfigureAwait(false))[0];
    }

    /// <summary>
    /// Finds the values of <paramref name="keys"/> (hivemind's <c>get_many_by_id</c>): the local records first, then a
    /// beam search that stops for a key at the first value that has not expired, or, with <paramref name="latest"/>,
    /// visits the whole beam for the latest one. Found values are cached locally and on the nearest node that lacked
    /// them. Null for a key nobody holds.
    /// </summary>
    public async Task<IReadOnlyDictionary<DhtId, DhtItem?>> GetManyAsync(
        IReadOnlyCollection<DhtId> keys, bool latest = false, DhtLookupStats? stats = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var sufficient = latest ? double.PositiveInfinity : DhtTime.Now(_time);
        var states = keys.Distinct().ToDictionary(k => k, k => new SearchState(k, sufficient));
        foreach (var state in states.Values)
        {
            state.AddCandidate(await Protocol.Store.GetAsync(DhtTier.Storage, state.Key, cancellationToken).ConfigureAwait(false), NodeId);
            state.AddCandidate(await Protocol.Store.GetAsync(DhtTier.Cache, state.Key, cancellationToken).ConfigureAwait(false), NodeId);
        }

        var unfinished = states.Values.Where(static s => !s.Finished).Select(static s => s.Key).ToList();
        if (unfinished.Count > 0)
        {
            var known = new ConcurrentDictionary<DhtId, PeerId>();
            foreach (var key in unfinished)
            {
                foreach (var (nodeId, peerId) in RoutingTable.GetNearestNeighbors(key, _options.BucketSize, NodeId))
                {
                    if (!IsBlacklisted(peerId))
                    {
                        known[nodeId] = peerId;
                    }
                }
            }

            var search = BeamSearch.RunAsync(
                unfinished,
                [.. known.Keys],
                BeamSize,
                _options.Parallelism,
                Math.Min((int)Math.Sqrt(unfinished.Count), 16),
                (peer, calls, ct) => NeighborsAsync(known, peer, calls, states, ct),
                (key, nearest) =>
                {
                    states[key].Finish();
                    return CacheResultAsync(states[key], nearest, known, cancellationToken);
                },
                [NodeId],
                cancellationToken);

            // The answer is ready once every key's search is done; the beam search may still be draining calls.
            await Task.WhenAny(Task.WhenAll(states.Values.Select(static s => s.Result)), search).ConfigureAwait(false);
            if (search.IsCompleted)
            {
                var outcome = await search.ConfigureAwait(false);
                stats?.Record(outcome.Requests, outcome.MaxHops);
            }
            else
            {
                _background.Run("lookup drain", async _ =>
                {
#pragma warning disable VSTHRD003 // The beam search was started above, on the thread pool.
                    var outcome = await search.ConfigureAwait(false);
#pragma warning restore VSTHRD003
                    stats?.Record(outcome.Requests, outcome.MaxHops);
                });
            }
        }

        var results = new Dictionary<DhtId, DhtItem?>(states.Count);
        foreach (var (key, state) in states)
        {
#pragma warning disable VSTHRD003 // A search state's result is a plain signal completed by this lookup.
            results[key] = await state.Result.ConfigureAwait(false);
#pragma warning restore VSTHRD003
        }

        return results;
    }

    /// <summary>Finds the value of one key.</summary>
    public async Task<DhtItem?> GetAsync(DhtId key, bool latest = false, CancellationToken cancellationToken = default) =>
        (await GetManyAsync([key], latest, cancellationToken: cancellationToken).ConfigureAwait(false))[key];

    /// <summary>Looks up a random id in every bucket not updated for <paramref name="age"/>, to keep the table fresh.</summary>
    public async Task<int> RefreshStaleBucketsAsync(TimeSpan age, CancellationToken cancellationToken)
    {
        var stale = RoutingTable.StaleBuckets(age);
        foreach (var bucket in stale)
        {
            await FindNearestNodesAsync([RoutingTable.RandomIdInBucket(bucket)], cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        return stale.Count;
    }

    private async Task<IReadOnlyDictionary<DhtId, NeighborsAnswer>> NeighborsAsync(
        ConcurrentDictionary<DhtId, PeerId> known,
        DhtId node,
        IReadOnlyList<DhtId> queries,
        Dictionary<DhtId, SearchState>? states,
        CancellationToken cancellationToken)
    {
        if (!known.TryGetValue(node, out var peer) || IsBlacklisted(peer))
        {
            return new Dictionary<DhtId, NeighborsAnswer>();
        }

        var answers = await Protocol.CallFindAsync(peer, queries, cancellationToken).ConfigureAwait(false);
        if (answers is null)
        {
            RegisterFailure(peer);
            return new Dictionary<DhtId, NeighborsAnswer>();
        }

        _blacklist.TryRemove(peer, out _);
        var output = new Dictionary<DhtId, NeighborsAnswer>(answers.Count);
        foreach (var (query, answer) in answers)
        {
            List<DhtId> neighbors = [];
            foreach (var neighbor in answer.Nearest)
            {
                if (neighbor.NodeId != NodeId && !IsBlacklisted(neighbor.PeerId))
                {
                    known.TryAdd(neighbor.NodeId, neighbor.PeerId);
                    neighbors.Add(neighbor.NodeId);
                }
            }

            var stop = false;
            if (states is not null && states.TryGetValue(query, out var state))
            {
                state.AddCandidate(answer.Item, node);
                stop = state.Finished;
            }

            output[query] = new NeighborsAnswer(neighbors, stop);
        }

        return output;
    }

    private async Task<HashSet<PeerId>> StoreOnNearestAsync(
        DhtId key,
        List<(DhtStoreItem Item, int Index)> items,
        IReadOnlyList<DhtId> nearest,
        ConcurrentDictionary<DhtId, PeerId> known,
        DhtStoreOutcome[] outcomes,
        CancellationToken cancellationToken)
    {
        var batch = items.Select(static x => x.Item).ToList();
        var accepted = new bool[items.Count];
        var replicas = new int[items.Count];
        var storedOn = new HashSet<PeerId>();
        var candidates = new Queue<DhtId>(nearest.Append(NodeId).OrderBy(n => key.DistanceTo(n)));
        var successes = 0;
        var pending = new List<(PeerId Peer, Task<IReadOnlyList<bool>?> Call)>();
        while (successes < _options.NumReplicas && (candidates.Count > 0 || pending.Count > 0))
        {
            while (candidates.Count > 0 && successes + pending.Count < _options.NumReplicas)
            {
                var node = candidates.Dequeue();
                if (node == NodeId)
                {
                    successes++;
                    for (var i = 0; i < batch.Count; i++)
                    {
                        var ok = await Protocol.StoreLocallyAsync(batch[i], Protocol.Validate(batch[i], i, null, DhtTime.Now(_time)), cancellationToken).ConfigureAwait(false);
                        Record(i, ok);
                    }
                }
                else if (known.TryGetValue(node, out var peer))
                {
                    pending.Add((peer, Protocol.CallStoreAsync(peer, batch, cancellationToken)));
                }
            }

            if (pending.Count == 0)
            {
                break;
            }

#pragma warning disable VSTHRD003 // The store calls were started by this method.
            var done = await Task.WhenAny(pending.Select(static p => p.Call)).ConfigureAwait(false);
            var doneAnswers = await done.ConfigureAwait(false);
#pragma warning restore VSTHRD003
            var index = pending.FindIndex(p => p.Call == done);
            var (donePeer, _) = pending[index];
            pending.RemoveAt(index);
            if (doneAnswers is { } answers)
            {
                successes++;
                storedOn.Add(donePeer);
                for (var i = 0; i < answers.Count; i++)
                {
                    Record(i, answers[i]);
                }
            }
        }

        for (var i = 0; i < items.Count; i++)
        {
            outcomes[items[i].Index] = new DhtStoreOutcome(accepted[i], replicas[i]);
        }

        if (_options.CacheLocally)
        {
            await UpdateCacheOnStoreAsync(key, batch, accepted, cancellationToken).ConfigureAwait(false);
        }

        return storedOn;

        void Record(int i, bool ok)
        {
            accepted[i] |= ok;
            replicas[i] += ok ? 1 : 0;
        }
    }

    private async Task StoreOnBootstrapAsync(
        PeerId peer,
        Dictionary<DhtId, List<(DhtStoreItem Item, int Index)>> byKey,
        ConcurrentDictionary<DhtId, HashSet<PeerId>> done,
        DhtStoreOutcome[] outcomes,
        CancellationToken cancellationToken)
    {
        var items = byKey.Where(kv => !done.TryGetValue(kv.Key, out var peers) || !peers.Contains(peer)).SelectMany(static kv => kv.Value).ToList();
        if (items.Count == 0)
        {
            return;
        }

        var answers = await Protocol.CallStoreAsync(peer, [.. items.Select(static x => x.Item)], cancellationToken).ConfigureAwait(false);
        if (answers is null)
        {
            return;
        }

        lock (outcomes)
        {
            for (var i = 0; i < items.Count; i++)
            {
                if (answers[i])
                {
                    var current = outcomes[items[i].Index] ?? new DhtStoreOutcome(false, 0);
                    outcomes[items[i].Index] = new DhtStoreOutcome(true, current.Replicas + 1);
                }
            }
        }
    }

    /// <summary>hivemind's <c>_update_cache_on_store</c>: a regular value just stored somewhere is cached here too.</summary>
    private async Task UpdateCacheOnStoreAsync(DhtId key, List<DhtStoreItem> batch, bool[] accepted, CancellationToken cancellationToken)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            if (accepted[i] && batch[i].IsRegular)
            {
                await Protocol.Store.StoreAsync(DhtTier.Cache, key, batch[i].Value, batch[i].ExpirationTime, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// hivemind's <c>_cache_new_result</c>: a value found elsewhere that is newer than ours is cached locally, and
    /// pushed into the cache tier of the nearest node (other than its source) that did not have it.
    /// </summary>
    private async Task CacheResultAsync(SearchState state, IReadOnlyList<DhtId> nearest, ConcurrentDictionary<DhtId, PeerId> known, CancellationToken cancellationToken)
    {
        if (state.Snapshot() is not { } found || state.Source == NodeId)
        {
            return;
        }

        var item = found.IsDictionary
            ? new DhtStoreItem(state.Key, DhtMsgPack.DictionaryTag, DhtDictionaryCodec.Encode(found.Entries!, found.ExpirationTime), found.ExpirationTime, InCache: true)
            : new DhtStoreItem(state.Key, DhtMsgPack.RegularValueTag, found.Value, found.ExpirationTime, InCache: true);
        if (_options.CacheLocally)
        {
            var local = await Protocol.GetLocalAsync(state.Key, includeCache: true, cancellationToken).ConfigureAwait(false);
            if (local is null || found.ExpirationTime > local.ExpirationTime)
            {
                await Protocol.StoreLocallyAsync(item, item.IsWholeDictionary ? DhtDictionaryCodec.Decode(item.Value.Span, DhtValueLimits.Default) : null, cancellationToken).ConfigureAwait(false);
            }
        }

        var pushed = 0;
        foreach (var node in nearest)
        {
            if (pushed >= _options.CacheNearest)
            {
                break;
            }

            if (node != state.Source && known.TryGetValue(node, out var peer))
            {
                _background.Run("cache push", ct => Protocol.CallStoreAsync(peer, [item], ct));
                pushed++;
            }
        }
    }

    private bool IsBlacklisted(PeerId peer) =>
        _blacklist.TryGetValue(peer, out var entry) && entry.Until > DhtTime.Now(_time);

    /// <summary>hivemind's <c>Blacklist</c>: a silent peer is skipped for a while, twice as long after each failure.</summary>
    private void RegisterFailure(PeerId peer)
    {
        var now = DhtTime.Now(_time);
        _blacklist.AddOrUpdate(
            peer,
            _ => (now + _options.BlacklistTime.TotalSeconds, 1),
            (_, entry) => entry.Until > now ? entry : (now + (_options.BlacklistTime.TotalSeconds * Math.Pow(_options.BlacklistBackoff, entry.Failures)), entry.Failures + 1));
    }
}

/// <summary>
/// What lookups cost, for benchmarks: the peers asked and the longest referral chain. A get's beam search may still
/// be finishing its last calls when the get returns; those are counted when they end.
/// </summary>
public sealed class DhtLookupStats
{
    private int _requests;
    private int _maxHops;

    /// <summary>Peers asked.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>The longest chain of referrals to a peer that was asked (1 for one already in the routing table).</summary>
    public int MaxHops => Volatile.Read(ref _maxHops);

    internal void Record(int requests, int hops)
    {
        Interlocked.Add(ref _requests, requests);
        int current;
        while ((current = Volatile.Read(ref _maxHops)) < hops && Interlocked.CompareExchange(ref _maxHops, hops, current) != current)
        {
        }
    }
}

/// <summary>The result of storing one item: whether any node accepted it, and how many did.</summary>
public sealed record DhtStoreOutcome(bool Stored, int Replicas);
