// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using KwaaiNet.Benchmarks;
using KwaaiNet.Benchmarks.AppHost;
using KwaaiNet.Benchmarks.Dht;
using KwaaiNet.Benchmarks.Distributed;
using KwaaiNet.Benchmarks.Inference;
using KwaaiNet.Benchmarks.Libp2p;
using KwaaiNet.Benchmarks.Map;

// dotnet run -c Release --project bench/KwaaiNet.Benchmarks -- <area> [--quick] [--out DIR]
//   apphost          AppHost cold start to all-healthy, per infrastructure mode
//   micro [filter]   BenchmarkDotNet microbenchmarks (--quick: one short job)
//   libp2p           libp2p stack on loopback: throughput vs raw TCP, the ChaCha20-Poly1305 ceiling and js-libp2p,
//                    1,000 concurrent streams, allocations per MB, unary calls/s; PASS/FAIL per target
//                    (--quick: 32 MiB transfers instead of 256 MiB, 3 runs instead of 5)
//   dht              Hivemind DHT swarms: 50 nodes over loopback libp2p, 100 and 1,000 in memory; beam size, rpc_find calls
//                    and hops per get against log2(N), store/get latency p50/p99 as multiples of one direct rpc_find
//                    round trip, get success at 0%, 10% and 30% churn; PASS/FAIL per target (mean RPCs per get, counted
//                    by the lookup once drained, vs beam + 2·log2(N)); every get from a node not holding the key
//                    (--quick: 20, 50 and 200 nodes, 20 keys instead of 100)
//   inference        Llama on ONNX Runtime (embedding, span through the session manager, head) against llama.cpp via
//                    LLamaSharp (fp32 KV cache), same 2 threads, one generated F32 GGUF with TinyLlama's layer sizes
//                    (4 layers): prefill tokens/s (64-token prompt), decode tokens/s (20 steps after 2 warm-up), resident
//                    memory after load against the weight bytes with ONNX Runtime's prepacking on and off; PASS/FAIL per
//                    target (--quick: 2 layers, hidden 1024, vocab 8,000, 32-token prompt, 8 decode steps); each
//                    resident figure comes from a child process of this program (internal area inference-resident)
//   map              two whole nodes on loopback: the time from a node's start to its appearance (and to online) on
//                    the other node's map, crawl period 1 s, against the node's own host start (--quick: 2 rounds, not 5)
//   distributed      greedy generation over Petals' rpc_inference across 1, 2 and 3 whole nodes on loopback (6-layer
//                    generated model split evenly) against local generation in this process, interleaved: decode
//                    latency per token p50/p99 (time between consecutive tokens; prefill apart as time to first
//                    token), tokens/s, overhead per hop = (p50 with N nodes - local p50) / N; PASS/FAIL per N against
//                    2 ms per token per hop (--quick: 8 new tokens and 3 rounds instead of 32 and 10)
var quick = args.Contains("--quick", StringComparer.Ordinal);
var outIndex = Array.IndexOf(args, "--out");
var output = outIndex >= 0 && outIndex + 1 < args.Length ? args[outIndex + 1] : Directory.GetCurrentDirectory();
var positional = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (outIndex < 0 || i != outIndex + 1)).ToArray();
var area = positional.FirstOrDefault();

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

switch (area)
{
    case "apphost":
        await BenchmarkReport.WriteAsync(area, quick, await AppHostStartBenchmark.RunAsync(quick, cancel.Token), output, cancel.Token);
        return 0;
    case "libp2p":
        var (libp2pResults, verdicts) = await Libp2pBenchmark.RunAsync(quick, cancel.Token);
        await BenchmarkReport.WriteAsync(area, quick, libp2pResults, output, cancel.Token, verdicts);
        return 0;
    case "dht":
        var (dhtResults, dhtVerdicts) = await DhtBenchmark.RunAsync(quick, cancel.Token);
        await BenchmarkReport.WriteAsync(area, quick, dhtResults, output, cancel.Token, dhtVerdicts);
        return 0;
    case "inference":
        var (inferenceResults, inferenceVerdicts) = await InferenceBenchmark.RunAsync(quick, cancel.Token);
        await BenchmarkReport.WriteAsync(area, quick, inferenceResults, output, cancel.Token, inferenceVerdicts);
        return 0;
    case "map":
        await BenchmarkReport.WriteAsync(area, quick, await MapAppearanceBenchmark.RunAsync(quick, cancel.Token), output, cancel.Token);
        return 0;
    case "distributed":
        var (distributedResults, distributedVerdicts) = await DistributedBenchmark.RunAsync(quick, cancel.Token);
        await BenchmarkReport.WriteAsync(area, quick, distributedResults, output, cancel.Token, distributedVerdicts);
        return 0;
    case "inference-resident":
        return InferenceBenchmark.MeasureResident(positional[1..]);
    case "micro":
        var config = DefaultConfig.Instance.WithArtifactsPath(Path.Combine(output, "micro"));
        if (quick)
        {
            config = config.AddJob(Job.ShortRun.WithWarmupCount(1).WithIterationCount(3).WithLaunchCount(1));
        }

        var filter = positional.Length > 1 ? ["--filter", positional[1]] : (string[])["--filter", "*"];
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(BenchmarkResult).Assembly).Run(filter, config);
        return summaries.Any(static s => s.HasCriticalValidationErrors || s.Reports.Any(static r => !r.Success)) ? 1 : 0;
    default:
        Console.Error.WriteLine("usage: KwaaiNet.Benchmarks <apphost | micro [filter] | libp2p | dht | inference | map | distributed> [--quick] [--out DIR]");
        return 2;
}
