// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Routing;

namespace KwaaiNet.Hivemind.Node;

/// <summary>The outcome of a beam search: per query the nearest nodes found, and what it cost.</summary>
internal sealed record BeamSearchResult(IReadOnlyDictionary<DhtId, IReadOnlyList<DhtId>> Nearest, int Requests, int MaxHops);

/// <summary>What one peer answered for one query: the nearest nodes it knows, and whether the query is done.</summary>
internal readonly record struct NeighborsAnswer(IReadOnlyList<DhtId> Neighbors, bool Stop);

/// <summary>
/// Iterative beam search over the DHT for several queries at once, in the manner of hivemind's
/// <c>hivemind/dht/traverse.py::traverse_dht</c>: per query a heap of unvisited candidates (nearest first) and a beam of
/// the <c>beamSize</c> nearest nodes seen; up to <c>workers</c> concurrent requests, each expanding the nearest
/// candidate of the query that has the fewest requests in flight (ties: nearest candidate), and packing up to
/// <c>queriesPerCall</c> − 1 more unfinished queries nearest to that peer into the same call. A query finishes when
/// its answer says stop, or when no candidate nearer than its beam's farthest node is left and no request for it is in
/// flight. Each query's <c>found</c> callback runs exactly once, as soon as it finishes.
/// </summary>
internal sealed class BeamSearch : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<DhtId, QueryState> _queries = [];
    private readonly HashSet<DhtId> _unfinished = [];
    private readonly int _beamSize;
    private readonly int _queriesPerCall;
    private readonly Func<DhtId, IReadOnlyList<DhtId>, CancellationToken, Task<IReadOnlyDictionary<DhtId, NeighborsAnswer>>> _getNeighbors;
    private readonly Func<DhtId, IReadOnlyList<DhtId>, Task>? _found;
    private readonly List<Task> _callbacks = [];
    private readonly CancellationTokenSource _finished = new();
    private readonly Dictionary<DhtId, int> _hops = [];
    private TaskCompletionSource _heapUpdated = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private BeamSearch(
        int beamSize,
        int queriesPerCall,
        Func<DhtId, IReadOnlyList<DhtId>, CancellationToken, Task<IReadOnlyDictionary<DhtId, NeighborsAnswer>>> getNeighbors,
        Func<DhtId, IReadOnlyList<DhtId>, Task>? found)
    {
        _beamSize = beamSize;
        _queriesPerCall = Math.Max(1, queriesPerCall);
        _getNeighbors = getNeighbors;
        _found = found;
    }

    /// <summary>Peers asked, over the whole search.</summary>
    public int Requests { get; private set; }

    /// <summary>The longest chain of referrals to a peer that was asked: 1 for a peer we knew, 2 for one it named, …</summary>
    public int MaxHops { get; private set; }

    /// <summary>
    /// Runs the search. <paramref name="getNeighbors"/> must not throw for a failed peer: it answers no neighbors.
    /// Returns, per query, up to <paramref name="beamSize"/> nearest nodes found (nearest first), after every
    /// <paramref name="found"/> callback has completed.
    /// </summary>
    public static async Task<BeamSearchResult> RunAsync(
        IReadOnlyCollection<DhtId> queries,
        IReadOnlyCollection<DhtId> initialNodes,
        int beamSize,
        int workers,
        int queriesPerCall,
        Func<DhtId, IReadOnlyList<DhtId>, CancellationToken, Task<IReadOnlyDictionary<DhtId, NeighborsAnswer>>> getNeighbors,
        Func<DhtId, IReadOnlyList<DhtId>, Task>? found,
        IReadOnlyCollection<DhtId> excluded,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(beamSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        using var search = new BeamSearch(beamSize, queriesPerCall, getNeighbors, found);
        if (queries.Count == 0)
        {
            return new BeamSearchResult(new Dictionary<DhtId, IReadOnlyList<DhtId>>(), 0, 0);
        }

        foreach (var node in initialNodes)
        {
            search._hops[node] = 1;
        }

        foreach (var query in queries)
        {
            if (!search._queries.ContainsKey(query))
            {
                search._queries[query] = new QueryState(query, initialNodes, excluded, beamSize);
                search._unfinished.Add(query);
            }
        }

        using var registration = cancellationToken.Register(static s => ((BeamSearch)s!)._finished.Cancel(), search);
        try
        {
            await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(() => search.WorkAsync(cancellationToken), CancellationToken.None))).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            Task[] callbacks;
            lock (search._lock)
            {
                callbacks = [.. search._callbacks];
            }

            await Task.WhenAll(callbacks).ConfigureAwait(false);
            return new BeamSearchResult(search._queries.ToDictionary(static q => q.Key, static q => q.Value.Nearest()), search.Requests, search.MaxHops);
        }
        finally
        {
            registration.Unregister();
        }
    }

    public void Dispose() => _finished.Dispose();

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Task? wait = null;
            DhtId peer;
            List<DhtId> calls;
            lock (_lock)
            {
                if (_unfinished.Count == 0)
                {
                    return;
                }

                var chosen = ChooseQuery();
                if (!chosen.HasCandidates)
                {
                    if (_queries.Values.Any(static q => q.ActiveWorkers > 0))
                    {
                        if (_heapUpdated.Task.IsCompleted)
                        {
                            _heapUpdated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        }

                        wait = _heapUpdated.Task;
                    }
                    else
                    {
                        foreach (var query in _unfinished.ToList())
                        {
                            Finish(query);
                        }

                        return;
                    }
                }

                if (wait is null)
                {
                    var (distance, candidate) = chosen.PopCandidate();
                    if (chosen.Visited.Contains(candidate) || distance > chosen.UpperBound)
                    {
                        if (distance > chosen.UpperBound && chosen.ActiveWorkers == 0)
                        {
                            Finish(chosen.Query);
                        }

                        continue;
                    }

                    peer = candidate;
                    calls = [chosen.Query];
                    if (_queriesPerCall > 1)
                    {
                        var target = peer;
                        calls.AddRange(_unfinished
                            .Where(q => q != chosen.Query && !_queries[q].Visited.Contains(target))
                            .OrderBy(q => q.DistanceTo(target))
                            .Take(_queriesPerCall - 1));
                    }

                    foreach (var query in calls)
                    {
                        var state = _queries[query];
                        state.ActiveWorkers++;
                        state.Visited.Add(peer);
                    }

                    Requests++;
                    MaxHops = Math.Max(MaxHops, _hops.GetValueOrDefault(peer, 1));
                }
                else
                {
                    peer = default;
                    calls = [];
                }
            }

            if (wait is not null)
            {
                await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            IReadOnlyDictionary<DhtId, NeighborsAnswer> answers;
            try
            {
                answers = await _getNeighbors(peer, calls, _finished.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_finished.IsCancellationRequested)
            {
                answers = new Dictionary<DhtId, NeighborsAnswer>();
            }

            lock (_lock)
            {
                var hop = _hops.GetValueOrDefault(peer, 1) + 1;
                foreach (var answer in answers.Values)
                {
                    foreach (var neighbor in answer.Neighbors)
                    {
                        _hops.TryAdd(neighbor, hop);
                    }
                }

                foreach (var query in calls)
                {
                    var state = _queries[query];
                    state.ActiveWorkers--;
                    if (!answers.TryGetValue(query, out var answer))
                    {
                        continue;
                    }

                    if (answer.Stop && _unfinished.Contains(query))
                    {
                        Finish(query);
                    }

                    if (_unfinished.Contains(query))
                    {
                        state.Add(answer.Neighbors);
                    }
                }

                _heapUpdated.TrySetResult();
            }
        }
    }

    /// <summary>The unfinished query whose nearest candidate is least explored by other workers (then nearest).</summary>
    private QueryState ChooseQuery()
    {
        QueryState? best = null;
        foreach (var query in _unfinished)
        {
            var state = _queries[query];
            if (best is null || Compare(state, best) < 0)
            {
                best = state;
            }
        }

        return best!;

        static int Compare(QueryState a, QueryState b)
        {
            if (a.HasCandidates != b.HasCandidates)
            {
                return a.HasCandidates ? -1 : 1;
            }

            if (!a.HasCandidates)
            {
                return 0;
            }

            var byWorkers = a.ActiveWorkers.CompareTo(b.ActiveWorkers);
            return byWorkers != 0 ? byWorkers : a.NearestCandidateDistance.CompareTo(b.NearestCandidateDistance);
        }
    }

    private void Finish(DhtId query)
    {
        if (!_unfinished.Remove(query))
        {
            return;
        }

        if (_found is not null)
        {
            var nearest = _queries[query].Nearest();
            _callbacks.Add(Task.Run(() => _found(query, nearest)));
        }

        if (_unfinished.Count == 0)
        {
            _finished.Cancel();
            _heapUpdated.TrySetResult();
        }
    }

    /// <summary>The heaps of one query (hivemind's candidate_nodes, nearest_nodes, known_nodes, visited_nodes).</summary>
    private sealed class QueryState
    {
        private static readonly Comparer<DhtId> Farthest = Comparer<DhtId>.Create(static (a, b) => b.CompareTo(a));

        private readonly PriorityQueue<DhtId, DhtId> _candidates = new();
        private readonly PriorityQueue<DhtId, DhtId> _beam = new(Farthest);
        private readonly HashSet<DhtId> _known = [];
        private readonly int _beamSize;

        public QueryState(DhtId query, IEnumerable<DhtId> initialNodes, IEnumerable<DhtId> excluded, int beamSize)
        {
            Query = query;
            _beamSize = beamSize;
            Visited = [.. excluded];
            foreach (var node in initialNodes)
            {
                if (_known.Add(node) && !Visited.Contains(node))
                {
                    var distance = query.DistanceTo(node);
                    _candidates.Enqueue(node, distance);
                    PushBeam(node, distance);
                }
            }
        }

        public DhtId Query { get; }

        public HashSet<DhtId> Visited { get; }

        public int ActiveWorkers { get; set; }

        /// <summary>Nodes farther than this are not worth asking: the distance of the beam's farthest node once full.</summary>
        public DhtId UpperBound => _beam.Count >= _beamSize && _beam.TryPeek(out _, out var farthest) ? farthest : MaxDistance;

        public bool HasCandidates => _candidates.TryPeek(out _, out var nearest) && nearest <= UpperBound;

        public DhtId NearestCandidateDistance => _candidates.TryPeek(out _, out var nearest) ? nearest : MaxDistance;

        private static DhtId MaxDistance { get; } = DhtId.FromBytes(Enumerable.Repeat((byte)0xff, DhtId.Length).ToArray());

        public (DhtId Distance, DhtId Node) PopCandidate()
        {
            _candidates.TryDequeue(out var node, out var distance);
            return (distance, node);
        }

        public void Add(IEnumerable<DhtId> neighbors)
        {
            foreach (var neighbor in neighbors)
            {
                if (!_known.Add(neighbor) || Visited.Contains(neighbor))
                {
                    continue;
                }

                var distance = Query.DistanceTo(neighbor);
                if (distance <= UpperBound || _beam.Count < _beamSize)
                {
                    _candidates.Enqueue(neighbor, distance);
                    PushBeam(neighbor, distance);
                }
            }
        }

        public IReadOnlyList<DhtId> Nearest() =>
            [.. _beam.UnorderedItems.OrderBy(static e => e.Priority).Select(static e => e.Element)];

        private void PushBeam(DhtId node, DhtId distance)
        {
            if (_beam.Count < _beamSize)
            {
                _beam.Enqueue(node, distance);
            }
            else
            {
                _beam.EnqueueDequeue(node, distance);
            }
        }
    }
}
