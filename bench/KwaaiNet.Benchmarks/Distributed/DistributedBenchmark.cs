// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using System.Globalization;
using KwaaiNet.Inference.Generation;
using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Runtime;
using KwaaiNet.Inference.Sessions;
using KwaaiNet.Petals.Client;
using KwaaiNet.Testing;
using KwaaiNet.Testing.Inference;
using KwaaiNet.Testing.Swarm;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Benchmarks.Distributed;

/// <summary>
/// Greedy generation across whole nodes on loopback over Petals' <c>rpc_inference</c>, against the same generation in
/// this process. One generated F32 model of <see cref="Layers"/> layers; for N = 1, 2 and 3 a fresh swarm of N nodes,
/// each serving <see cref="Layers"/>/N consecutive blocks, and one client node (gateway, dht, Petals client) that finds
/// them in the DHT and generates through the chain of N servers. The local baseline (<see cref="LlamaGenerator"/> over
/// every layer, same ONNX Runtime threads for the blocks, same embedding and head) runs interleaved with the
/// distributed rounds, one local round before each distributed one, so a slow stretch of this shared machine hits both.
/// Per-token latency is the time between consecutive tokens, i.e. one decode step (prefill excluded, reported apart as
/// the time to the first token). The overhead per hop is (median decode latency with N nodes − local median) / N.
/// </summary>
internal static class DistributedBenchmark
{
    /// <summary>The model's layer count: divisible by 1, 2 and 3.</summary>
    public const int Layers = 6;

    /// <summary>ONNX Runtime intra-op threads of the blocks, on the servers and locally.</summary>
    public const int Threads = 1;

    /// <summary>The target: less than this many milliseconds per token for each server on the chain.</summary>
    public const double TargetMsPerHop = 2.0;

    /// <summary>Untimed generations, local and distributed, on each new swarm before the timed rounds (connections, JIT, first allocations).</summary>
    private const int WarmupGenerations = 2;

    /// <summary>
    /// The new tokens of each warm-up generation, --quick or not: enough steps for the hot paths of the client, the
    /// servers and the libp2p streams to be compiled at their final tier before the timed rounds.
    /// </summary>
    private const int WarmupTokens = 48;

    private static readonly int[] Prompt = [1, 72, 101, 108, 108, 111, 33];

    private static readonly int[] NodeCounts = [1, 2, 3];

    /// <summary>Time for a swarm to start, load its spans and be listed in the client's DHT on a shared 2-core machine.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    public static async Task<(IReadOnlyList<BenchmarkResult> Results, IReadOnlyList<string> Verdicts)> RunAsync(bool quick, CancellationToken cancellationToken)
    {
        var tokens = quick ? 8 : 32;
        var rounds = quick ? 3 : 10;
        var shape = TinyLlamaGguf.Default with { HiddenSize = 256, IntermediateSize = 512 };
        using var swarm = new SwarmSettings(
            Layers, renewalPeriod: TimeSpan.FromMinutes(5), recordTtl: TimeSpan.FromMinutes(6), crawlPeriod: TimeSpan.FromMinutes(5), shape, Threads);
        var request = new GenerationRequest { MaxNewTokens = tokens };
        using var local = new LocalGeneration(swarm.Settings["KwaaiNet:Inference:ModelPath"]!);
        var reference = (await local.RunAsync(Prompt, request, cancellationToken)).Ids;

        List<BenchmarkResult> results = [];
        var c = CultureInfo.InvariantCulture;
        List<string> verdicts =
        [
            string.Format(
                c,
                "Model: one generated F32 GGUF, {0} layers, hidden {1}, intermediate {2}, vocab {3}; {4} ONNX Runtime thread(s) for the blocks on every server and locally. Each N: {8} untimed warm-up generations of {9} tokens each way, then {5} rounds, each a local generation then a distributed one, greedy, a {6}-token prompt then {7} new tokens; per-token latency = time between consecutive tokens (decode steps only; the prefill is the separate time-to-first-token row).",
                Layers, shape.HiddenSize, shape.IntermediateSize, shape.VocabSize, Threads, rounds, Prompt.Length, tokens, WarmupGenerations, WarmupTokens),
            string.Format(
                c,
                "Overhead per hop = (median decode latency with N nodes − median local decode latency of the same rounds) / N, in ms per token per server on the chain; target < {0} ms.",
                TargetMsPerHop),
        ];
        var loadBefore = LoadAverage();
        foreach (var n in NodeCounts)
        {
            var (distributed, baseline, equal) = await MeasureAsync(swarm, n, request, reference, local, rounds, cancellationToken);
            var nodes = n == 1 ? "1 node" : n.ToString(c) + " nodes";
            var decode = distributed.SelectMany(static r => r.Decode).ToList();
            var localDecode = baseline.SelectMany(static r => r.Decode).ToList();
            var latency = new BenchmarkResult($"{nodes}: decode latency per token p50", "ms", decode, "local generation", localDecode);
            var p50 = latency.Median;
            var localP50 = latency.BaselineMedian;
            var overhead = (p50 - localP50) / n;
            results.Add(latency);
            results.Add(new BenchmarkResult($"{nodes}: decode latency per token p99", "ms", [Percentile(decode, 99)], "local generation", [Percentile(localDecode, 99)]));
            results.Add(new BenchmarkResult(
                $"{nodes}: decode tokens/s", "tokens/s", [.. distributed.Select(static r => r.TokensPerSecond)], "local generation", [.. baseline.Select(static r => r.TokensPerSecond)]));
            results.Add(new BenchmarkResult(
                $"{nodes}: prefill, time to first token ({Prompt.Length}-token prompt)", "ms", [.. distributed.Select(static r => r.FirstTokenMs)], "local generation", [.. baseline.Select(static r => r.FirstTokenMs)]));
            results.Add(new BenchmarkResult($"{nodes}: overhead per hop, (p50 − local p50) / {n}", "ms/token/hop", [overhead], "target", [TargetMsPerHop]));
            verdicts.Add(string.Format(
                c,
                "{0}: overhead per hop {1:0.###} ms per token ({2:0.###} − {3:0.###} ms) / {4}, target < {5} ms: {6}",
                nodes, overhead, p50, localP50, n, TargetMsPerHop, overhead < TargetMsPerHop ? "PASS" : "FAIL"));
            verdicts.Add($"{nodes}: greedy output equals local generation: {(equal ? "PASS" : "FAIL")}");
        }

        verdicts.Add(string.Format(
            c,
            "Load average (1 min) of this machine: {0} at the start, {1} at the end, on {2} cores: the distributed path hands each step between several threads, so it suffers more than the local one from a loaded machine.",
            loadBefore, LoadAverage(), Environment.ProcessorCount));
        return (results, verdicts);
    }

    /// <summary>The 1-minute load average from <c>/proc/loadavg</c>, or "unknown" where there is none.</summary>
    private static string LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>Starts N nodes and a client, warms up, then runs the interleaved rounds; stops them all.</summary>
    private static async Task<(List<Round> Distributed, List<Round> Local, bool Equal)> MeasureAsync(
        SwarmSettings swarm, int n, GenerationRequest request, IReadOnlyList<int> reference, LocalGeneration local, int rounds, CancellationToken cancellationToken)
    {
        await Console.Error.WriteLineAsync($"distributed: starting {n} node(s) and a client");
        var clock = Stopwatch.StartNew();
        List<SwarmNode> nodes = [];
        ModuleHost? client = null;
        try
        {
            var blocks = Layers / n;
            for (var i = 0; i < n; i++)
            {
                nodes.Add(await SwarmNode.StartAsync($"bench-{n}-{i + 1}", swarm, startBlock: i * blocks, blocks, i == 0 ? null : nodes[0].Address, cancellationToken));
            }

            client = await SwarmClient.StartAsync(swarm, nodes[0].Address, SpanProtocol.Petals, logs: null, openAi: false, cancellationToken);
            await SwarmClient.WaitForServersAsync(client, swarm, nodes, StartTimeout, cancellationToken);
            await Console.Error.WriteLineAsync($"distributed: {n} node(s) listed after {clock.Elapsed.TotalSeconds:0.0} s");
            var generator = client.App.Services.GetRequiredService<DistributedGenerator>();
            var equal = true;
            var warmup = request with { MaxNewTokens = WarmupTokens };
            for (var i = 0; i < WarmupGenerations; i++)
            {
                await local.RunAsync(Prompt, warmup, cancellationToken);
                await RunAsync(generator, warmup, cancellationToken);
            }

            List<Round> distributed = [];
            List<Round> baseline = [];
            for (var round = 0; round < rounds; round++)
            {
                var localRound = await local.RunAsync(Prompt, request, cancellationToken);
                baseline.Add(localRound);
                var remote = await RunAsync(generator, request, cancellationToken);
                distributed.Add(remote);
                equal &= remote.Ids.SequenceEqual(reference) && localRound.Ids.SequenceEqual(reference);
                await Console.Error.WriteLineAsync(
                    $"distributed: {n} node(s), round {round + 1}/{rounds}: decode p50 {Percentile(remote.Decode, 50):0.###} ms, local {Percentile(localRound.Decode, 50):0.###} ms");
            }

            return (distributed, baseline, equal);
        }
        finally
        {
            if (client is not null)
            {
                await client.DisposeAsync();
            }

            foreach (var node in Enumerable.Reverse(nodes))
            {
                await node.DisposeAsync();
            }
        }
    }

    private static async Task<Round> RunAsync(DistributedGenerator generator, GenerationRequest request, CancellationToken cancellationToken)
    {
        List<int> ids = [];
        List<double> times = [];
        var clock = Stopwatch.StartNew();
        await foreach (var token in generator.GenerateAsync(Prompt, request, cancellationToken))
        {
            times.Add(clock.Elapsed.TotalMilliseconds);
            ids.Add(token.Id);
        }

        return Round.From(ids, times);
    }

    /// <summary>The nearest-rank percentile.</summary>
    private static double Percentile(IReadOnlyList<double> values, int percent)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percent / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>One generation's token ids and timings.</summary>
    private sealed record Round(IReadOnlyList<int> Ids, double FirstTokenMs, IReadOnlyList<double> Decode)
    {
        /// <summary>Decode tokens per second: the tokens after the first over the time they took.</summary>
        public double TokensPerSecond => Decode.Count / (Decode.Sum() / 1000);

        /// <summary>From the time of each token since the generation's start.</summary>
        public static Round From(List<int> ids, List<double> times) =>
            new(ids, times[0], [.. times.Skip(1).Zip(times, static (t, previous) => t - previous)]);
    }

    /// <summary>The same generation in this process: the client's embedding and head, one span of every layer.</summary>
    private sealed class LocalGeneration : IDisposable
    {
        private readonly LlamaClientModel _client;
        private readonly SpanModel _span;
        private readonly SpanSessionManager _sessions;
        private readonly LlamaGenerator _generator;

        public LocalGeneration(string path)
        {
            using var file = GgufFile.Open(path);
            var weights = new GgufLlamaWeights(file);
            _client = new LlamaClientModel(weights);
            _span = new SpanModel(weights, 0, weights.Config.LayerCount, sessionOptions: static () => ProviderSessionOptions.Create(ExecutionProviders.Cpu, Threads));
            _sessions = new SpanSessionManager(_span, Options.Create(new SpanSessionOptions()), TimeProvider.System);
            _generator = new LlamaGenerator(_client, _sessions);
        }

        /// <summary>One generation as <see cref="LlamaGenerator.GenerateAsync"/> streams it (each step on the thread pool).</summary>
        public async Task<Round> RunAsync(IReadOnlyList<int> prompt, GenerationRequest request, CancellationToken cancellationToken)
        {
            List<int> ids = [];
            List<double> times = [];
            var clock = Stopwatch.StartNew();
            await foreach (var token in _generator.GenerateAsync(prompt, request, cancellationToken))
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
                ids.Add(token.Id);
            }

            return Round.From(ids, times);
        }

        public void Dispose()
        {
            _sessions.Dispose();
            _span.Dispose();
            _client.Dispose();
        }
    }
}
