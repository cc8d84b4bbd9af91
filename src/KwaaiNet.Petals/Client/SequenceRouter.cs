// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using KwaaiNet.Petals.Records;

namespace KwaaiNet.Petals.Client;

/// <summary>
/// Petals' route choice for inference (petals <c>client/routing/sequence_manager.py</c>, <c>make_sequence</c> with
/// <c>mode="min_latency"</c>, <c>_build_inference_graph</c>; research petals-protocol.md §11.4): the shortest path by
/// Dijkstra over a graph whose nodes are (server, block) pairs, weighted by estimated seconds.
/// <list type="bullet">
/// <item>start → (server, first block): the client's delay to the server plus <see cref="SwitchCost"/>, plus
/// <see cref="CachePenalty"/> when the server lacks cache;</item>
/// <item>(server, end block) → end: the client's delay to the server;</item>
/// <item>a server switch at block b, only where the current span ends at b: the current server's announced
/// <c>next_pings</c> delay to the next one plus <see cref="SwitchCost"/> (plus the cache penalty);</item>
/// <item>inside a server, per block: <c>1 / inference_rps</c> (<see cref="DefaultInferenceRps"/> when unknown).</item>
/// </list>
/// Consecutive nodes of one server form one hop. Deterministic: ties go to the node added first, and nodes are added
/// in (peer id, start, end) order, so equal inputs give equal routes.
/// </summary>
public static class SequenceRouter
{
    /// <summary>The cost of opening a hop, in seconds (petals <c>sequence_manager.py</c>: 18 ms per server switch).</summary>
    public const double SwitchCost = 0.018;

    /// <summary>The penalty, in seconds, for a server whose cache cannot hold the session (petals: 10 s).</summary>
    public const double CachePenalty = 10.0;

    /// <summary>The <c>inference_rps</c> assumed for a server that does not announce one (petals <c>DEFAULT_INFERENCE_RPS</c>).</summary>
    public const double DefaultInferenceRps = 300.0;

    /// <summary>The delay assumed for an unknown RTT, in seconds (petals <c>_rtt_to_delay</c>).</summary>
    public const double UnknownDelay = 0.15;

    /// <summary>The largest delay one RTT counts for, in seconds (petals <c>_rtt_to_delay</c>).</summary>
    public const double MaxDelay = 5.0;

    /// <summary>
    /// Petals' <c>_rtt_to_delay</c>: half the round trip, at most <see cref="MaxDelay"/>; <see cref="UnknownDelay"/> when
    /// the RTT is unknown (null, negative or NaN). An infinite RTT (an unreachable server) counts as <see cref="MaxDelay"/>.
    /// </summary>
    public static double RttToDelay(double? rtt) => rtt is not { } value || double.IsNaN(value) || value < 0 ? UnknownDelay : Math.Min(value / 2, MaxDelay);

    /// <summary>
    /// Petals' <c>_has_cache_for</c>: a server lacks cache when <c>cache_tokens_needed · 2 · span length</c> exceeds its
    /// announced <c>cache_tokens_left</c> (never when it announces none, or when nothing is needed).
    /// </summary>
    public static bool HasCacheFor(ServerSpanInfo server, long cacheTokensNeeded)
    {
        ArgumentNullException.ThrowIfNull(server);
        return cacheTokensNeeded <= 0 || server.CacheTokensLeft is not { } left || cacheTokensNeeded * 2 * server.Length <= left;
    }

    /// <summary>
    /// The lowest-latency chain of hops over the <see cref="ServerState.Online"/> servers in <paramref name="servers"/>
    /// that covers blocks [<paramref name="start"/>, <paramref name="end"/>).
    /// </summary>
    /// <param name="servers">The servers of the model (any state; others than online are ignored).</param>
    /// <param name="start">The first block to cover.</param>
    /// <param name="end">One past the last block to cover.</param>
    /// <param name="clientRtts">The client's measured RTT to each server in seconds, by peer id; a missing one is unknown.</param>
    /// <param name="cacheTokensNeeded">The session's length in tokens (Petals' <c>max_length</c>); 0 for no cache check.</param>
    /// <param name="excluded">Servers not to use (banned ones); null for none.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range is empty or negative.</exception>
    /// <exception cref="RouteNotFoundException">No chain of online servers covers the range.</exception>
    public static IReadOnlyList<RouteSpan> MakeSequence(
        IReadOnlyList<ServerSpanInfo> servers,
        int start,
        int end,
        IReadOnlyDictionary<string, double> clientRtts,
        long cacheTokensNeeded,
        IReadOnlySet<string>? excluded = null)
    {
        ArgumentNullException.ThrowIfNull(servers);
        ArgumentNullException.ThrowIfNull(clientRtts);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(end, start);

        var spans = servers
            .Where(s => s.State == ServerState.Online && s.Start < s.End && s.Start < end && s.End > start && excluded?.Contains(s.PeerId) != true)
            .OrderBy(static s => s.PeerId, StringComparer.Ordinal)
            .ThenBy(static s => s.Start)
            .ThenBy(static s => s.End)
            .ToList();

        var graph = new Graph();
        var source = graph.Node(("start", -1));
        var target = graph.Node(("end", -1));
        double Delay(string peerId) => RttToDelay(clientRtts.TryGetValue(peerId, out var rtt) ? rtt : null);

        // Client -> server: the servers holding the first block.
        foreach (var span in spans.Where(s => s.Start <= start && start < s.End))
        {
            var cost = Delay(span.PeerId) + SwitchCost + (HasCacheFor(span, cacheTokensNeeded) ? 0 : CachePenalty);
            graph.Edge(source, graph.Node((span.PeerId, start)), cost);
        }

        // Server -> client: the servers holding the last block.
        foreach (var span in spans.Where(s => s.Start < end && end <= s.End))
        {
            graph.Edge(graph.Node((span.PeerId, end)), target, Delay(span.PeerId));
        }

        // Server -> server, only where the current span ends (Petals: to avoid O(N^2) graphs for N servers).
        for (var block = start + 1; block < end; block++)
        {
            foreach (var current in spans.Where(s => s.End == block))
            {
                foreach (var next in spans.Where(s => s.Start <= block && block < s.End))
                {
                    var rtt = current.NextPings.TryGetValue(next.PeerId, out var ping) ? ping : (double?)null;
                    var cost = RttToDelay(rtt) + SwitchCost + (HasCacheFor(next, cacheTokensNeeded) ? 0 : CachePenalty);
                    graph.Edge(graph.Node((current.PeerId, block)), graph.Node((next.PeerId, block)), cost);
                }
            }
        }

        // Compute inside each server, block by block.
        foreach (var span in spans)
        {
            var rps = span.InferenceRps is { } announced && announced > 0 && double.IsFinite(announced) ? announced : DefaultInferenceRps;
            for (var block = Math.Max(span.Start, start); block < Math.Min(span.End, end); block++)
            {
                graph.Edge(graph.Node((span.PeerId, block)), graph.Node((span.PeerId, block + 1)), 1.0 / rps);
            }
        }

        var path = graph.ShortestPath(source, target)
            ?? throw new RouteNotFoundException(string.Create(
                CultureInfo.InvariantCulture,
                $"No chain of online servers covers blocks [{start}, {end}) ({spans.Count} usable servers of {servers.Count}{(excluded is { Count: > 0 } ? $", {excluded.Count} excluded" : string.Empty)})."));
        return ExtractSpans([.. path.Select(graph.Key)]);
    }

    /// <summary>Petals' <c>_extract_spans</c>: consecutive nodes of one server are one hop; empty hops are dropped.</summary>
    private static List<RouteSpan> ExtractSpans(List<(string PeerId, int Block)> path)
    {
        var route = new List<RouteSpan>();
        string? peer = null;
        int first = 0, last = 0;
        foreach (var (peerId, block) in path.Skip(1).Take(path.Count - 2))
        {
            if (peerId != peer)
            {
                if (peer is not null && last > first)
                {
                    route.Add(new RouteSpan(peer, first, last));
                }

                peer = peerId;
                first = block;
            }

            last = block;
        }

        if (peer is not null && last > first)
        {
            route.Add(new RouteSpan(peer, first, last));
        }

        return route;
    }

    /// <summary>A small weighted digraph with Dijkstra; nodes are numbered in the order they are first named.</summary>
    private sealed class Graph
    {
        private readonly Dictionary<(string, int), int> _ids = [];
        private readonly List<(string, int)> _keys = [];
        private readonly List<List<(int To, double Weight)>> _edges = [];

        public int Node((string, int) key)
        {
            if (!_ids.TryGetValue(key, out var id))
            {
                id = _keys.Count;
                _ids[key] = id;
                _keys.Add(key);
                _edges.Add([]);
            }

            return id;
        }

        public (string PeerId, int Block) Key(int id) => _keys[id];

        public void Edge(int from, int to, double weight) => _edges[from].Add((to, weight));

        public List<int>? ShortestPath(int source, int target)
        {
            var distance = Enumerable.Repeat(double.PositiveInfinity, _keys.Count).ToArray();
            var previous = Enumerable.Repeat(-1, _keys.Count).ToArray();
            var done = new bool[_keys.Count];
            var queue = new PriorityQueue<int, (double Distance, int Node)>();
            distance[source] = 0;
            queue.Enqueue(source, (0, source));
            while (queue.TryDequeue(out var node, out _))
            {
                if (done[node])
                {
                    continue;
                }

                done[node] = true;
                if (node == target)
                {
                    break;
                }

                foreach (var (to, weight) in _edges[node])
                {
                    var candidate = distance[node] + weight;
                    if (candidate < distance[to])
                    {
                        distance[to] = candidate;
                        previous[to] = node;
                        queue.Enqueue(to, (candidate, to));
                    }
                }
            }

            if (double.IsPositiveInfinity(distance[target]))
            {
                return null;
            }

            var path = new List<int>();
            for (var node = target; node != -1; node = previous[node])
            {
                path.Add(node);
            }

            path.Reverse();
            return path;
        }
    }
}
