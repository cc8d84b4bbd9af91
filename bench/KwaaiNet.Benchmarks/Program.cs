// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using KwaaiNet.Benchmarks;
using KwaaiNet.Benchmarks.AppHost;
using KwaaiNet.Benchmarks.Libp2p;

// dotnet run -c Release --project bench/KwaaiNet.Benchmarks -- <area> [--quick] [--out DIR]
//   apphost          AppHost cold start to all-healthy, per infrastructure mode
//   micro [filter]   BenchmarkDotNet microbenchmarks (--quick: one short job)
//   libp2p           libp2p stack on loopback: throughput vs raw TCP, the ChaCha20-Poly1305 ceiling and js-libp2p,
//                    1,000 concurrent streams, allocations per MB, unary calls/s; PASS/FAIL per target
//                    (--quick: 32 MiB transfers instead of 256 MiB, 3 runs instead of 5)
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
        Console.Error.WriteLine("usage: KwaaiNet.Benchmarks <apphost | micro [filter] | libp2p> [--quick] [--out DIR]");
        return 2;
}
