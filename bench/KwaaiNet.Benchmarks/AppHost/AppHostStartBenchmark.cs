// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using Aspire.Hosting.Testing;

namespace KwaaiNet.Benchmarks.AppHost;

/// <summary>
/// AppHost cold start: from <c>StartAsync</c> to every resource healthy, per infrastructure mode. The baseline, taken
/// between the runs, is starting and stopping a bare .NET process, so the ratio says how many "process starts" a
/// node start costs on this machine at this moment.
/// </summary>
internal static class AppHostStartBenchmark
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    private static readonly (string Mode, string[] Resources)[] Modes =
    [
        ("embedded", ["node"]),
        ("process", ["redis-server", "messaging-server", "dht", "inference-worker", "carbon-tracker", "map-announcer", "p2p-gateway"]),
    ];

    public static async Task<IReadOnlyList<BenchmarkResult>> RunAsync(bool quick, CancellationToken cancellationToken)
    {
        var runs = quick ? 1 : 3;
        List<BenchmarkResult> results = [];
        foreach (var (mode, resources) in Modes)
        {
            List<double> samples = [];
            List<double> baseline = [];
            for (var i = 0; i < runs; i++)
            {
                await Console.Error.WriteLineAsync($"apphost: {mode} run {i + 1}/{runs}");
                baseline.Add(await BareProcessSecondsAsync(cancellationToken));
                samples.Add(await StartSecondsAsync(mode, resources, cancellationToken));
            }

            results.Add(new BenchmarkResult($"cold start to healthy ({mode})", "s", samples, "bare dotnet process", baseline));
        }

        return results;
    }

    private static async Task<double> StartSecondsAsync(string mode, string[] resources, CancellationToken cancellationToken)
    {
        var home = Directory.CreateTempSubdirectory("kwaainet-bench-").FullName;
        try
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.KwaaiNet_AppHost>(
                [$"--KwaaiNet:Infra={mode}", "--KwaaiNet:Node:initial_peers=none", "--KwaaiNet:Node:port=0", $"--KwaaiNet:Node:home={home}"],
                static (options, _) => options.DisableDashboard = true,
                cancellationToken);
            await using var app = await builder.BuildAsync(cancellationToken).WaitAsync(Timeout, cancellationToken);
            var clock = Stopwatch.StartNew();
            await app.StartAsync(cancellationToken).WaitAsync(Timeout, cancellationToken);
            foreach (var resource in resources)
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, cancellationToken).WaitAsync(Timeout, cancellationToken);
            }

            var elapsed = clock.Elapsed.TotalSeconds;
            await app.StopAsync(cancellationToken).WaitAsync(Timeout, cancellationToken);
            return elapsed;
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    private static async Task<double> BareProcessSecondsAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(new ProcessStartInfo("dotnet", ["--version"]) { RedirectStandardOutput = true, UseShellExecute = false })
            ?? throw new InvalidOperationException("dotnet could not be started");
        await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return clock.Elapsed.TotalSeconds;
    }
}
