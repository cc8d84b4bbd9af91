// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using KwaaiNet.Petals.Map;

namespace KwaaiNet.Petals.Selection;

/// <summary>
/// Which blocks of a model this node serves: Petals' block selection (petals <c>src/petals/server/block_selection.py</c>)
/// over the map's server rows.
/// <para>
/// The rule: sum the announced throughput of the other servers per block (offline servers and this node's own rows left
/// out), then take the window of the wanted length whose throughputs, sorted ascending, are lexicographically the
/// smallest; ties go to the lowest start. Upstream KwaaiNet's <c>pick_gap_from_chain</c> (kwaainet-upstream.md §4.6)
/// starts at the first block no other server covers; Petals' rule gives the same start whenever that gap is at least
/// as long as the span or runs to the last block (a window holding more uncovered blocks always sorts first, and ties
/// go to the lowest start). Where they differ we follow Petals, as the issue asks: it covers as many uncovered blocks
/// as it can and then the weakest covered ones, and near the end it shifts the window back so that the span keeps its
/// length instead of being cut short as upstream's is.
/// </para>
/// </summary>
public static class BlockSelection
{
    /// <summary>Petals' <c>balance_quality</c> default (<c>server.py</c>): rebalance when the swarm would get 1/0.75 faster.</summary>
    public const double DefaultBalanceQuality = 0.75;

    /// <summary>Petals' <c>eps</c> in <c>should_choose_other_blocks</c>: keeps float noise from moving servers back and forth.</summary>
    private const double Eps = 1e-3;

    /// <summary>Rounds of moves <see cref="ShouldChooseOtherBlocks"/> simulates at most (Petals loops until nothing moves).</summary>
    private const int MaxRebalanceRounds = 64;

    /// <summary>
    /// The summed throughput per block of the servers in <paramref name="report"/> other than
    /// <paramref name="localPeerId"/> (Petals <c>compute_spans</c>). Offline rows, rows in an unknown state and rows
    /// with a negative or non-finite throughput or an empty span are skipped; a span reaching past the model is cut
    /// at its last block. A server counts once per block.
    /// </summary>
    /// <exception cref="ArgumentException">The report has no blocks.</exception>
    public static double[] ComputeThroughputs(MapModelReport report, string? localPeerId)
    {
        ArgumentNullException.ThrowIfNull(report);
        var total = CheckedTotal(report);
        var throughputs = new double[total];

        // Petals sorts servers so that the same set of servers always sums to exactly the same values (float addition
        // is not associative), "which may cause excess block replacements" otherwise.
        foreach (var (_, blocks) in PerPeerBlocks(report, localPeerId))
        {
            for (var b = 0; b < total; b++)
            {
                throughputs[b] += blocks[b];
            }
        }

        return throughputs;
    }

    /// <summary>
    /// Petals' <c>_choose_best_start</c>: the start of the window of <paramref name="numBlocks"/> blocks whose
    /// throughputs, sorted ascending, compare lexicographically smallest; ties go to the lowest start.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBlocks"/> is below 1 or above the block count.</exception>
    public static int ChooseBestStart(ReadOnlySpan<double> throughputs, int numBlocks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numBlocks, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(numBlocks, throughputs.Length);
        var best = new double[numBlocks];
        var window = new double[numBlocks];
        var bestStart = 0;
        for (var start = 0; start + numBlocks <= throughputs.Length; start++)
        {
            throughputs.Slice(start, numBlocks).CopyTo(window);
            Array.Sort(window);
            if (start == 0 || window.AsSpan().SequenceCompareTo(best) < 0)
            {
                (best, window) = (window, best);
                bestStart = start;
            }
        }

        return bestStart;
    }

    /// <summary>
    /// Petals' <c>choose_best_blocks</c>: the span of <paramref name="blocks"/> blocks (clamped to the model) that the
    /// other servers of <paramref name="report"/> serve least.
    /// </summary>
    /// <exception cref="ArgumentException">The report has no blocks.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="blocks"/> is below 1.</exception>
    public static SpanChoice ChooseBestBlocks(MapModelReport report, int blocks, string? localPeerId)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentOutOfRangeException.ThrowIfLessThan(blocks, 1);
        var throughputs = ComputeThroughputs(report, localPeerId);
        var length = Math.Min(blocks, throughputs.Length);
        var start = ChooseBestStart(throughputs, length);
        var window = throughputs.AsSpan(start, length);
        var uncovered = 0;
        var least = double.PositiveInfinity;
        foreach (var t in window)
        {
            uncovered += t <= 0 ? 1 : 0;
            least = Math.Min(least, t);
        }

        var clamped = length < blocks ? string.Create(CultureInfo.InvariantCulture, $" (blocks = {blocks} clamped to the model's {length})") : string.Empty;
        var reason = uncovered > 0
            ? string.Create(CultureInfo.InvariantCulture, $"blocks [{start}, {start + length}) of {report.DhtPrefix}: {uncovered} of them served by no other server{clamped}")
            : string.Create(CultureInfo.InvariantCulture, $"blocks [{start}, {start + length}) of {report.DhtPrefix} have the least throughput of the other servers (weakest block {least:0.##} rps){clamped}");
        return new SpanChoice(start, start + length, reason);
    }

    /// <summary>
    /// Petals' <c>should_choose_other_blocks</c>: whether moving this node's span (and then letting every server move to
    /// its best place) would raise the swarm's weakest block throughput enough, i.e. <c>initial / new</c> falls below
    /// <paramref name="balanceQuality"/>. Petals visits servers in a random order; we visit them in peer-id order so
    /// that the answer is reproducible, and stop after a bounded number of rounds.
    /// </summary>
    /// <returns>False when this node has no span in the report, when it is already in its best place, or when moving
    /// would leave a block served by nobody.</returns>
    public static bool ShouldChooseOtherBlocks(MapModelReport report, string localPeerId, double balanceQuality = DefaultBalanceQuality)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentException.ThrowIfNullOrEmpty(localPeerId);
        if (balanceQuality > 1.0)
        {
            return true; // Petals: forces rebalancing on each check (for debugging).
        }

        var total = CheckedTotal(report);
        var spans = PeerSpans(report, total);
        if (!spans.TryGetValue(localPeerId, out var local))
        {
            return false;
        }

        var throughputs = new double[total];
        foreach (var span in spans.Values)
        {
            Add(throughputs, span.Start, span.End, span.Throughput);
        }

        var initial = Min(throughputs);

        // Subtracting a little more than the span's own throughput keeps float error from moving it, and makes the
        // search prefer the current place when others are almost equal (Petals' comment).
        Add(throughputs, local.Start, local.End, -local.Throughput * (1 + Eps));
        if (initial > Eps && Min(throughputs) <= 0)
        {
            return false; // Moving would make the swarm disjoint.
        }

        var newStart = ChooseBestStart(throughputs, local.Length);
        if (newStart == local.Start)
        {
            return false;
        }

        Add(throughputs, local.Start, local.End, local.Throughput * Eps);
        local.MoveTo(newStart);
        Add(throughputs, local.Start, local.End, local.Throughput);

        var order = spans.Keys.Order(StringComparer.Ordinal).ToArray();
        var moved = true;
        for (var round = 0; moved && round < MaxRebalanceRounds; round++)
        {
            moved = false;
            foreach (var peer in order)
            {
                var span = spans[peer];
                Add(throughputs, span.Start, span.End, -span.Throughput * (1 + Eps));
                var start = ChooseBestStart(throughputs, span.Length);
                Add(throughputs, span.Start, span.End, span.Throughput * Eps);
                if (start != span.Start)
                {
                    span.MoveTo(start);
                    moved = true;
                }

                Add(throughputs, span.Start, span.End, span.Throughput);
            }
        }

        var after = Min(throughputs);
        if (after < initial || after < Eps)
        {
            return false;
        }

        return initial / after < balanceQuality - Eps;
    }

    private static int CheckedTotal(MapModelReport report) => report.NumBlocks >= 1
        ? report.NumBlocks
        : throw new ArgumentException($"model report {report.DhtPrefix} has {report.NumBlocks} blocks", nameof(report));

    private static bool Counts(MapServerRow row, int total, out int start, out int end, out double throughput)
    {
        start = Math.Max(row.Span.Start, 0);
        end = Math.Min(row.Span.End, total);
        throughput = row.Span.ServerInfo.Throughput;
        return row.State is "online" or "joining" && start < end && double.IsFinite(throughput) && throughput >= 0 && !string.IsNullOrEmpty(row.PeerId);
    }

    /// <summary>Per other peer (in ordinal order), the throughput it adds to each block.</summary>
    private static SortedDictionary<string, double[]> PerPeerBlocks(MapModelReport report, string? localPeerId)
    {
        var total = report.NumBlocks;
        var peers = new SortedDictionary<string, double[]>(StringComparer.Ordinal);
        var counted = new SortedDictionary<string, bool[]>(StringComparer.Ordinal);

        // Where two rows of one peer overlap, the one reaching furthest speaks for the block (docs/records.md §2).
        foreach (var row in report.ServerRows.OrderByDescending(static r => r.Span.End))
        {
            if (row.PeerId == localPeerId || !Counts(row, total, out var start, out var end, out var throughput))
            {
                continue;
            }

            if (!peers.TryGetValue(row.PeerId, out var blocks))
            {
                blocks = new double[total];
                peers[row.PeerId] = blocks;
                counted[row.PeerId] = new bool[total];
            }

            var seen = counted[row.PeerId];
            for (var b = start; b < end; b++)
            {
                if (!seen[b])
                {
                    seen[b] = true;
                    blocks[b] = throughput;
                }
            }
        }

        return peers;
    }

    /// <summary>Per peer (this node included), its whole span: first to last block it appears under (Petals <c>compute_spans</c>).</summary>
    private static Dictionary<string, MovableSpan> PeerSpans(MapModelReport report, int total)
    {
        var spans = new Dictionary<string, MovableSpan>(StringComparer.Ordinal);
        foreach (var row in report.ServerRows.OrderBy(static r => r.Span.Start))
        {
            if (!Counts(row, total, out var start, out var end, out var throughput))
            {
                continue;
            }

            if (spans.TryGetValue(row.PeerId, out var span))
            {
                span.Start = Math.Min(span.Start, start);
                span.End = Math.Max(span.End, end);
            }
            else
            {
                spans[row.PeerId] = new MovableSpan { Start = start, End = end, Throughput = throughput };
            }
        }

        return spans;
    }

    private static void Add(double[] throughputs, int start, int end, double value)
    {
        for (var b = start; b < end; b++)
        {
            throughputs[b] += value;
        }
    }

    private static double Min(double[] values) => values.Length == 0 ? 0 : values.Min();

    /// <summary>Petals' <c>Span</c>: a span that the rebalancing simulation moves.</summary>
    private sealed class MovableSpan
    {
        public int Start { get; set; }

        public int End { get; set; }

        public double Throughput { get; init; }

        public int Length => End - Start;

        public void MoveTo(int start) => (Start, End) = (start, start + Length);
    }
}
