// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using System.Text;
using System.Text.Json;

namespace KwaaiNet.Benchmarks;

/// <summary>Writes an area's results as <c>&lt;area&gt;.json</c> and <c>&lt;area&gt;.md</c> in the output folder.</summary>
internal static class BenchmarkReport
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Writes the results; <paramref name="verdicts"/> (e.g. a PASS/FAIL line per target) follow the table.</summary>
    public static async Task WriteAsync(
        string area, bool quick, IReadOnlyList<BenchmarkResult> results, string folder, CancellationToken cancellationToken, IReadOnlyList<string>? verdicts = null)
    {
        verdicts ??= [];
        Directory.CreateDirectory(folder);
        var document = new
        {
            area,
            quick,
            machine = new { Environment.ProcessorCount, os = Environment.OSVersion.ToString(), runtime = Environment.Version.ToString() },
            measuredAt = DateTimeOffset.UtcNow,
            results = results.Select(static r => new { r.Name, r.Unit, r.Samples, r.Median, r.BaselineName, r.BaselineSamples, r.BaselineMedian, r.Ratio }),
            verdicts,
        };
        await File.WriteAllTextAsync(Path.Combine(folder, area + ".json"), JsonSerializer.Serialize(document, Json), cancellationToken);

        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine(c, $"# Benchmark: {area}{(quick ? " (quick)" : string.Empty)}");
        md.AppendLine();
        md.AppendLine(c, $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, {DateTimeOffset.UtcNow:u}.");
        md.AppendLine();
        md.AppendLine("| figure | median | runs | baseline | baseline median | ratio |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- |");
        foreach (var r in results)
        {
            md.AppendLine(c, $"| {r.Name} | {r.Median:0.###} {r.Unit} | {r.Samples.Count} | {r.BaselineName} | {r.BaselineMedian:0.###} {r.Unit} | {r.Ratio:0.00}x |");
        }

        if (verdicts.Count > 0)
        {
            md.AppendLine();
            foreach (var verdict in verdicts)
            {
                md.AppendLine(c, $"- {verdict}");
            }
        }

        await File.WriteAllTextAsync(Path.Combine(folder, area + ".md"), md.ToString(), cancellationToken);
        Console.WriteLine(md.ToString());
    }
}
