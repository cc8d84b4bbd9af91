// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Benchmarks;

/// <summary>One measured figure beside the baseline measured in the same run.</summary>
/// <param name="Name">What was measured.</param>
/// <param name="Unit">The unit of the samples.</param>
/// <param name="Samples">Every run's value.</param>
/// <param name="BaselineName">The baseline's name.</param>
/// <param name="BaselineSamples">The baseline's values, taken interleaved with the figure's.</param>
internal sealed record BenchmarkResult(string Name, string Unit, IReadOnlyList<double> Samples, string BaselineName, IReadOnlyList<double> BaselineSamples)
{
    public double Median => MedianOf(Samples);

    public double BaselineMedian => MedianOf(BaselineSamples);

    /// <summary>Median over baseline median: comparable across machines and noisy runs, unlike absolute times.</summary>
    public double Ratio => BaselineMedian > 0 ? Median / BaselineMedian : double.NaN;

    /// <summary>
    /// The median of each run's value over the baseline value taken beside it (the runs alternate), or NaN when the
    /// counts differ: on a shared machine a slow stretch then hits both sides of one pair.
    /// </summary>
    public double PairedRatio => Samples.Count == BaselineSamples.Count && Samples.Count > 0
        ? MedianOf([.. Samples.Zip(BaselineSamples, static (s, b) => b > 0 ? s / b : double.NaN)])
        : double.NaN;

    private static double MedianOf(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
