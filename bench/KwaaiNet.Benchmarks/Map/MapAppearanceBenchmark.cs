// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using KwaaiNet.Petals.Map;
using KwaaiNet.Testing.Swarm;

namespace KwaaiNet.Benchmarks.Map;

/// <summary>
/// How soon a node appears on another node's map: two whole in-process nodes on loopback (the second bootstraps from
/// the first), each serving half of a generated 4-block model, with the announcer's default renewal and TTL and a
/// crawl period of <see cref="CrawlPeriod"/> (the default is 60 s, map.kwaai.ai's update period: with it a node appears
/// within the measured time plus at most one period). The baseline, taken in the same round, is the second node's own
/// host start (gateway, DHT, worker and announcer up), so the ratio says how many "host starts" it takes to be seen.
/// </summary>
internal static class MapAppearanceBenchmark
{
    /// <summary>The crawl period of the nodes: short, so that the figure is the announcement's latency and not the wait.</summary>
    public static readonly TimeSpan CrawlPeriod = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static async Task<IReadOnlyList<BenchmarkResult>> RunAsync(bool quick, CancellationToken cancellationToken)
    {
        var rounds = quick ? 2 : 5;
        List<double> hostStart = [];
        List<double> appeared = [];
        List<double> online = [];
        using var swarm = new SwarmSettings(layers: 4, renewalPeriod: TimeSpan.FromMinutes(5), recordTtl: TimeSpan.FromMinutes(6), CrawlPeriod);
        for (var round = 0; round < rounds; round++)
        {
            await Console.Error.WriteLineAsync($"map: round {round + 1}/{rounds}");
            await using var first = await SwarmNode.StartAsync("bench-1", swarm, startBlock: 0, blocks: 2, bootstrap: null, cancellationToken);
            var clock = Stopwatch.StartNew();
            await using var second = await SwarmNode.StartAsync("bench-2", swarm, startBlock: 2, blocks: 2, first.Address, cancellationToken);
            hostStart.Add(clock.Elapsed.TotalSeconds);
            appeared.Add(await SecondsUntilAsync(first, second.PeerId, static r => true, clock, cancellationToken));
            online.Add(await SecondsUntilAsync(first, second.PeerId, static r => r.State == "online", clock, cancellationToken));
            await Console.Error.WriteLineAsync($"map: host start {hostStart[^1]:0.00} s, on the other map {appeared[^1]:0.00} s, online there {online[^1]:0.00} s");
        }

        return
        [
            new BenchmarkResult("node start to its appearance on another node's map (crawl period 1 s)", "s", appeared, "node host start", hostStart),
            new BenchmarkResult("node start to shown online on another node's map (crawl period 1 s)", "s", online, "node host start", hostStart),
        ];
    }

    private static async Task<double> SecondsUntilAsync(SwarmNode observer, string peerId, Func<MapServerRow, bool> condition, Stopwatch clock, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        while (true)
        {
            var state = await observer.GetStateAsync(timeout.Token);
            if (state.ModelReports.SelectMany(static m => m.ServerRows).Any(r => r.PeerId == peerId && condition(r)))
            {
                return clock.Elapsed.TotalSeconds;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), timeout.Token);
        }
    }
}
