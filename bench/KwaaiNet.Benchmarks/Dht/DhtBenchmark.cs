// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using System.Globalization;
using KwaaiNet.Hivemind;
using KwaaiNet.Hivemind.Node;
using KwaaiNet.Hivemind.Protocol;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Storage;
using KwaaiNet.Testing.Dht;

namespace KwaaiNet.Benchmarks.Dht;

/// <summary>
/// The Hivemind-compatible DHT in swarms of this process: 50 nodes over real loopback libp2p, 100 and 1,000 nodes over
/// the in-memory transport (the same protobuf bytes, no sockets). Per swarm: store latency, get latency, rpc_find
/// calls and hops per get against log2(N), and get success at 0%, 10% and 30% churn (nodes crashed at random).
/// Baselines, measured in the same run: one direct <c>rpc_find</c> round trip between two nodes of the same swarm (so
/// latencies read as "× one RPC"), and the bound beam + 2·log2(N) for RPCs per get. Ends with a PASS/FAIL line per
/// target of the issue, and hivemind's one published run (1,024 peers) beside ours for information.
/// </summary>
/// <remarks>
/// Every get is made by a node that holds the key in neither of its tiers, so that it is a network lookup (a node that
/// is one of the key's replicas, or cached it in an earlier pass, would answer from its own store with no RPC).
/// RPCs per get are the lookup's own count of peers asked (<see cref="DhtLookupStats.Requests"/>, all rpc_find), read
/// once the beam search has drained, which includes its caching push; all calls the getting node sent meanwhile (the
/// cache push's rpc_store, liveness pings, record hand-offs) are reported beside it from
/// <see cref="DhtProtocol.RequestsSent"/>.
/// </remarks>
internal static class DhtBenchmark
{
    public const double TargetSuccessNoChurn = 1.0;
    public const double TargetSuccessTenPercentChurn = 0.99;

    /// <summary>hivemind's only published run (1,024 peers, no churn, <c>benchmarks/benchmark_dht.py</c>): per stored entry.</summary>
    public const double HivemindStoreMs = 14.9;

    /// <summary>The same run: per key got.</summary>
    public const double HivemindGetMs = 6.6;

    private const string DirectFind = "one direct rpc_find round trip";
    private const int ValueBytes = 32;
    private const double ExpirationSeconds = 3600;
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan SwarmStartTimeout = TimeSpan.FromMinutes(4);

    public static async Task<(IReadOnlyList<BenchmarkResult> Results, IReadOnlyList<string> Verdicts)> RunAsync(bool quick, CancellationToken cancellationToken)
    {
        var keys = quick ? 20 : 100;
        Scenario[] scenarios = quick
            ? [new(SwarmTransport.Libp2p, 20), new(SwarmTransport.InMemory, 50), new(SwarmTransport.InMemory, 200)]
            : [new(SwarmTransport.Libp2p, 50), new(SwarmTransport.InMemory, 100), new(SwarmTransport.InMemory, 1000)];

        var c = CultureInfo.InvariantCulture;
        List<BenchmarkResult> results = [];
        List<string> verdicts = [];
        if (quick)
        {
            verdicts.Add(string.Format(c, "Quick mode: swarms of {0}, {1} and {2} nodes instead of 50, 100 and 1,000, {3} keys instead of 100.", scenarios[0].Nodes, scenarios[1].Nodes, scenarios[2].Nodes, keys));
        }

        List<SwarmOutcome> outcomes = [];
        for (var i = 0; i < scenarios.Length; i++)
        {
            var outcome = await RunSwarmAsync(scenarios[i], keys, seed: 1000 + i, cancellationToken);
            outcomes.Add(outcome);
            results.AddRange(outcome.Results());
        }

        foreach (var o in outcomes)
        {
            verdicts.Add(string.Format(
                c,
                "{0}: beam size {1}, log2(N) = {2:0.00}, bound beam + 2·log2(N) = {3:0.0} RPCs; rpc_find per get mean {4:0.00}, p99 {5:0}; hops mean {6:0.00}, max {7}; stores accepted {8}/{9}.",
                o.Label, o.Beam, o.Log2N, o.Bound, o.Requests.Average(), Percentile(o.Requests, 0.99), o.Hops.Average(), o.Hops.Max(), o.StoresAccepted, o.Keys));
        }

        foreach (var o in outcomes)
        {
            verdicts.Add(string.Format(c, "Target 100% get success without churn, {0}: {1} ({2}/{3})", o.Label, o.NoChurn.Rate >= TargetSuccessNoChurn ? "PASS" : "FAIL", o.NoChurn.Found, o.NoChurn.Tried));
            verdicts.Add(string.Format(c, "Target ≥ {0:0}% get success at 10% churn, {1}: {2} ({3}/{4}, {5:0.0}%)", TargetSuccessTenPercentChurn * 100, o.Label, o.TenPercent.Rate >= TargetSuccessTenPercentChurn ? "PASS" : "FAIL", o.TenPercent.Found, o.TenPercent.Tried, o.TenPercent.Rate * 100));
            verdicts.Add(string.Format(c, "Target mean RPCs per get ≤ beam + 2·log2(N), {0}: {1} ({2:0.00} ≤ {3:0.0})", o.Label, o.Requests.Average() <= o.Bound ? "PASS" : "FAIL", o.Requests.Average(), o.Bound));
            verdicts.Add(string.Format(c, "Information, {0}: {1:0.0}% get success at 30% churn ({2}/{3}).", o.Label, o.ThirtyPercent.Rate * 100, o.ThirtyPercent.Found, o.ThirtyPercent.Tried));
        }

        foreach (var o in outcomes)
        {
            verdicts.Add(string.Format(
                c,
                "Reference (information, not a target): hivemind, 1,024 peers, no churn: {0} ms per store, {1} ms per get, 100% success; ours, {2}: {3:0.00} ms per store, {4:0.00} ms per get (p50), {5:0.0}% success.",
                HivemindStoreMs, HivemindGetMs, o.Label, o.StoreLatency.Median, o.GetLatency.Median, o.NoChurn.Rate * 100));
        }

        return (results, verdicts);
    }

    private static async Task<SwarmOutcome> RunSwarmAsync(Scenario scenario, int keyCount, int seed, CancellationToken cancellationToken)
    {
        var label = string.Format(CultureInfo.InvariantCulture, "{0:#,0} nodes {1}", scenario.Nodes, scenario.Transport == SwarmTransport.Libp2p ? "over libp2p" : "in memory");
        var options = new DhtOptions();
        var beam = options.BeamSize > 0 ? options.BeamSize : options.BucketSize;
        var random = new Random(seed);
        var phase = Stopwatch.StartNew();

        await Console.Error.WriteLineAsync($"dht: {label}: starting");
        await using var swarm = await StartSwarmAsync(scenario, options, seed, cancellationToken);
        await Console.Error.WriteLineAsync(string.Format(CultureInfo.InvariantCulture, "dht: {0}: started in {1:0.0} s", label, phase.Elapsed.TotalSeconds));

        // Store phase: each key from a random node, one direct rpc_find sampled after each as the baseline.
        phase.Restart();
        List<(DhtId Key, byte[] Value)> records = [];
        List<double> storeMs = [], rpcMs = [];
        var accepted = 0;
        for (var i = 0; i < keyCount; i++)
        {
            var key = DhtId.FromKey($"bench-{scenario.Nodes}-{seed}-{i}");
            var value = new byte[ValueBytes];
            random.NextBytes(value);
            records.Add((key, value));
            var storer = Pick(swarm.Alive, random);
            using var timeout = Timeout(cancellationToken);
            var clock = Stopwatch.StartNew();
            var outcome = await storer.Dht.StoreAsync(key, value, DhtTime.Now(TimeProvider.System) + ExpirationSeconds, cancellationToken: timeout.Token);
            storeMs.Add(clock.Elapsed.TotalMilliseconds);
            accepted += outcome.Stored ? 1 : 0;
            rpcMs.Add(await DirectFindMsAsync(storer, swarm, key, random, cancellationToken));
        }

        await Console.Error.WriteLineAsync(string.Format(CultureInfo.InvariantCulture, "dht: {0}: stored {1} keys in {2:0.0} s ({3} accepted)", label, keyCount, phase.Elapsed.TotalSeconds, accepted));

        // Get phase without churn: latency, RPCs and hops per get, one more baseline sample after each.
        phase.Restart();
        List<double> getMs = [], requests = [], hops = [], allCalls = [];
        var noChurn = await GetPassAsync(swarm, records, random, getMs, requests, hops, allCalls, rpcMs, cancellationToken);
        await Console.Error.WriteLineAsync(string.Format(CultureInfo.InvariantCulture, "dht: {0}: got {1}/{2} keys in {3:0.0} s", label, noChurn.Found, noChurn.Tried, phase.Elapsed.TotalSeconds));

        // Churn: crash 10% of the nodes (seeded), get everything again from survivors; then up to 30%.
        phase.Restart();
        await StopUntilAsync(swarm, (int)Math.Round(scenario.Nodes * 0.1), random);
        var tenPercent = await GetPassAsync(swarm, records, random, null, null, null, null, null, cancellationToken);
        await Console.Error.WriteLineAsync(string.Format(CultureInfo.InvariantCulture, "dht: {0}: 10% churn, got {1}/{2} keys in {3:0.0} s", label, tenPercent.Found, tenPercent.Tried, phase.Elapsed.TotalSeconds));

        phase.Restart();
        await StopUntilAsync(swarm, (int)Math.Round(scenario.Nodes * 0.3), random);
        var thirtyPercent = await GetPassAsync(swarm, records, random, null, null, null, null, null, cancellationToken);
        await Console.Error.WriteLineAsync(string.Format(CultureInfo.InvariantCulture, "dht: {0}: 30% churn, got {1}/{2} keys in {3:0.0} s", label, thirtyPercent.Found, thirtyPercent.Tried, phase.Elapsed.TotalSeconds));

        return new SwarmOutcome(label, scenario.Nodes, keyCount, beam, accepted, storeMs, getMs, rpcMs, requests, hops, allCalls, noChurn, tenPercent, thirtyPercent);
    }

    private static async Task<DhtSwarm> StartSwarmAsync(Scenario scenario, DhtOptions options, int seed, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(SwarmStartTimeout);
        return await DhtSwarm.StartAsync(scenario.Nodes, scenario.Transport, options, TimeProvider.System, seed, cancellationToken: timeout.Token);
    }

    /// <summary>
    /// Gets every record once, each from a random running node that holds it in neither tier. Records latency, rpc_find
    /// calls, hops and all calls of the getting node into the lists given (null: success only).
    /// </summary>
    private static async Task<Success> GetPassAsync(
        DhtSwarm swarm,
        List<(DhtId Key, byte[] Value)> records,
        Random random,
        List<double>? getMs,
        List<double>? requests,
        List<double>? hops,
        List<double>? allCalls,
        List<double>? rpcMs,
        CancellationToken cancellationToken)
    {
        var found = 0;
        foreach (var (key, value) in records)
        {
            var getter = await PickLackingAsync(swarm.Alive, key, random, cancellationToken);
            var stats = new DhtLookupStats();
            var sentBefore = getter.Dht.Protocol.RequestsSent;
            using var timeout = Timeout(cancellationToken);
            var clock = Stopwatch.StartNew();
            var item = (await getter.Dht.GetManyAsync([key], latest: false, stats, timeout.Token))[key];
            var elapsed = clock.Elapsed.TotalMilliseconds;
            if (item is { IsDictionary: false } && item.Value.Span.SequenceEqual(value))
            {
                found++;
            }

            // The get returns at its first value; its beam search records what it cost once its last calls are done.
            var settle = Stopwatch.StartNew();
            while (stats.MaxHops == 0 && settle.Elapsed < SettleTimeout)
            {
                await Task.Delay(1, cancellationToken);
            }

            getMs?.Add(elapsed);
            requests?.Add(stats.Requests);
            hops?.Add(stats.MaxHops);
            allCalls?.Add(getter.Dht.Protocol.RequestsSent - sentBefore);
            if (rpcMs is not null)
            {
                rpcMs.Add(await DirectFindMsAsync(getter, swarm, key, random, cancellationToken));
            }
        }

        return new Success(found, records.Count);
    }

    /// <summary>
    /// The baseline: one <c>rpc_find</c> from <paramref name="from"/> to a random other running node, timed on its
    /// second call so that a libp2p dial is not part of it.
    /// </summary>
    private static async Task<double> DirectFindMsAsync(SwarmNode from, DhtSwarm swarm, DhtId key, Random random, CancellationToken cancellationToken)
    {
        var alive = swarm.Alive;
        SwarmNode to;
        do
        {
            to = Pick(alive, random);
        }
        while (ReferenceEquals(to, from));

        using var timeout = Timeout(cancellationToken);
        _ = await from.Dht.Protocol.CallFindAsync(to.PeerId, [key], timeout.Token)
            ?? throw new InvalidOperationException($"{to.PeerId} did not answer a direct rpc_find.");
        var clock = Stopwatch.StartNew();
        _ = await from.Dht.Protocol.CallFindAsync(to.PeerId, [key], timeout.Token)
            ?? throw new InvalidOperationException($"{to.PeerId} did not answer a direct rpc_find.");
        return clock.Elapsed.TotalMilliseconds;
    }

    private static async Task<SwarmNode> PickLackingAsync(IReadOnlyList<SwarmNode> alive, DhtId key, Random random, CancellationToken cancellationToken)
    {
        foreach (var node in alive.OrderBy(_ => random.Next()))
        {
            if (await node.Store.GetAsync(DhtTier.Storage, key, cancellationToken) is null
                && await node.Store.GetAsync(DhtTier.Cache, key, cancellationToken) is null)
            {
                return node;
            }
        }

        throw new InvalidOperationException($"Every running node holds {key} already; no get would be a lookup.");
    }

    /// <summary>Crashes random running nodes until <paramref name="stopped"/> of the swarm are down.</summary>
    private static async Task StopUntilAsync(DhtSwarm swarm, int stopped, Random random)
    {
        while (swarm.Nodes.Count - swarm.Alive.Count < stopped)
        {
            await swarm.StopAsync(Pick(swarm.Alive, random));
        }
    }

    private static SwarmNode Pick(IReadOnlyList<SwarmNode> nodes, Random random) => nodes[random.Next(nodes.Count)];

    private static CancellationTokenSource Timeout(CancellationToken cancellationToken)
    {
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(OperationTimeout);
        return timeout;
    }

    /// <summary>Nearest-rank percentile.</summary>
    private static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    private sealed record Scenario(SwarmTransport Transport, int Nodes);

    private sealed record Success(int Found, int Tried)
    {
        public double Rate => Tried == 0 ? double.NaN : (double)Found / Tried;
    }

    private sealed record SwarmOutcome(
        string Label,
        int Nodes,
        int Keys,
        int Beam,
        int StoresAccepted,
        List<double> StoreMs,
        List<double> GetMs,
        List<double> RpcMs,
        List<double> Requests,
        List<double> Hops,
        List<double> AllCalls,
        Success NoChurn,
        Success TenPercent,
        Success ThirtyPercent)
    {
        public double Log2N => Math.Log2(Nodes);

        public double Bound => Beam + (2 * Log2N);

        public BenchmarkResult StoreLatency => new($"{Label}: store latency p50 ({Keys} keys)", "ms", StoreMs, DirectFind + " (p50)", RpcMs);

        public BenchmarkResult GetLatency => new($"{Label}: get latency p50", "ms", GetMs, DirectFind + " (p50)", RpcMs);

        /// <summary>
        /// The table rows. A p50 row carries every sample (its median is the p50); a p99, mean or rate row carries the
        /// one figure, beside the same figure of its baseline.
        /// </summary>
        public IEnumerable<BenchmarkResult> Results()
        {
            var bound = string.Format(CultureInfo.InvariantCulture, "beam + 2·log2(N) = {0} + 2·{1:0.00}", Beam, Log2N);
            yield return StoreLatency;
            yield return new($"{Label}: store latency p99", "ms", [Percentile(StoreMs, 0.99)], DirectFind + " (p99)", [Percentile(RpcMs, 0.99)]);
            yield return GetLatency;
            yield return new($"{Label}: get latency p99", "ms", [Percentile(GetMs, 0.99)], DirectFind + " (p99)", [Percentile(RpcMs, 0.99)]);
            yield return new($"{Label}: RPCs (rpc_find) per get, mean", "RPCs", [Requests.Average()], bound, [Bound]);
            yield return new($"{Label}: RPCs (rpc_find) per get, p99", "RPCs", [Percentile(Requests, 0.99)], bound, [Bound]);
            yield return new($"{Label}: all calls sent by the getting node per get, mean", "RPCs", [AllCalls.Average()], bound, [Bound]);
            yield return new($"{Label}: hops per get (longest referral chain), mean", "hops", [Hops.Average()], "log2(N)", [Log2N]);
            yield return new($"{Label}: get success, no churn", "%", [NoChurn.Rate * 100], "target", [TargetSuccessNoChurn * 100]);
            yield return new($"{Label}: get success, 10% churn", "%", [TenPercent.Rate * 100], "target", [TargetSuccessTenPercentChurn * 100]);
            yield return new($"{Label}: get success, 30% churn", "%", [ThirtyPercent.Rate * 100], "no churn", [NoChurn.Rate * 100]);
        }
    }
}
