// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Petals.Selection;
using static KwaaiNet.Petals.Tests.Selection.MapReports;

namespace KwaaiNet.Petals.Tests.Selection;

public sealed class BlockSelectionTests
{
    private const string Self = "12D3KooWSelf";

    [Fact]
    public void ChooseBestBlocks_EmptySwarm_StartsAtZero()
    {
        var choice = BlockSelection.ChooseBestBlocks(Report(32), 8, Self);

        Assert.Equal((0, 8), (choice.Start, choice.End));
        Assert.Contains("8 of them served by no other server", choice.Reason, StringComparison.Ordinal);
    }

    /// <summary>Upstream's first-uncovered-block rule and Petals' agree when the gap is as long as the span.</summary>
    [Fact]
    public void ChooseBestBlocks_FirstHalfServed_StartsAtTheFirstUncoveredBlock()
    {
        var report = Report(32, ("A", 0, 8, 100.0, "online"), ("B", 8, 16, 50.0, "online"));

        var choice = BlockSelection.ChooseBestBlocks(report, 8, Self);

        Assert.Equal((16, 24), (choice.Start, choice.End));
    }

    /// <summary>Petals' worked case: every block covered, the weakest window wins (not merely the weakest block's left end).</summary>
    [Fact]
    public void ChooseBestBlocks_AllCovered_ChoosesTheWindowWithTheLeastSortedThroughput()
    {
        // Per block: 10 10 3 3 5 5 1 8 — windows of 2: [10,10] [3,10] [3,3] [3,5] [5,5] [1,5] [1,8]; sorted, [1,5] is the least.
        var report = Report(
            8,
            ("A", 0, 2, 10.0, "online"),
            ("B", 2, 4, 3.0, "online"),
            ("C", 4, 6, 5.0, "online"),
            ("D", 6, 7, 1.0, "joining"),
            ("E", 7, 8, 8.0, "online"));

        var choice = BlockSelection.ChooseBestBlocks(report, 2, Self);

        Assert.Equal((5, 7), (choice.Start, choice.End));
        Assert.Contains("least throughput", choice.Reason, StringComparison.Ordinal);
        Assert.Contains("weakest block 1 rps", choice.Reason, StringComparison.Ordinal);
    }

    /// <summary>Where upstream would start at the first gap, Petals covers the most uncovered blocks.</summary>
    [Fact]
    public void ChooseBestBlocks_TwoGaps_CoversTheMostUncoveredBlocks()
    {
        var report = Report(8, ("A", 0, 1, 5.0, "online"), ("B", 2, 6, 5.0, "online"));

        var choice = BlockSelection.ChooseBestBlocks(report, 2, Self);

        Assert.Equal((6, 8), (choice.Start, choice.End));
        Assert.Contains("2 of them served by no other server", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ChooseBestBlocks_TieBetweenWindows_TakesTheLowestStart()
    {
        var report = Report(6, ("A", 0, 6, 4.0, "online"));

        var choice = BlockSelection.ChooseBestBlocks(report, 3, Self);

        Assert.Equal((0, 3), (choice.Start, choice.End));
    }

    [Fact]
    public void ChooseBestBlocks_OwnAndOfflineRowsLeftOut()
    {
        // Without the exclusions blocks 0..4 would be served (by this node, and by an offline server).
        var report = Report(8, (Self, 0, 4, 100.0, "online"), ("Gone", 0, 4, 100.0, "offline"), ("A", 4, 8, 10.0, "online"));

        var choice = BlockSelection.ChooseBestBlocks(report, 4, Self);

        Assert.Equal((0, 4), (choice.Start, choice.End));
    }

    [Fact]
    public void ChooseBestBlocks_MoreBlocksThanTheModel_ClampsToTheModel()
    {
        var choice = BlockSelection.ChooseBestBlocks(Report(4, ("A", 0, 4, 1.0, "online")), 8, Self);

        Assert.Equal((0, 4), (choice.Start, choice.End));
        Assert.Contains("clamped to the model's 4", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ChooseBestBlocks_GapAtTheEnd_ShiftsTheWindowBackInsteadOfCuttingIt()
    {
        var report = Report(8, ("A", 0, 7, 5.0, "online"));

        var choice = BlockSelection.ChooseBestBlocks(report, 4, Self);

        Assert.Equal((4, 8), (choice.Start, choice.End));
    }

    /// <summary>Bad rows from peers (absurd throughput, inverted or out-of-range spans, unknown states) are skipped.</summary>
    [Fact]
    public void ComputeThroughputs_BadRows_AreSkippedOrCut()
    {
        var report = Report(
            4,
            ("Nan", 0, 4, double.NaN, "online"),
            ("Inf", 0, 4, double.PositiveInfinity, "online"),
            ("Neg", 0, 4, -5.0, "online"),
            ("Inverted", 3, 1, 5.0, "online"),
            ("Weird", 0, 4, 5.0, "dancing"),
            ("Wide", -3, 99, 2.0, "online"),
            ("Twice", 0, 2, 1.0, "online"),
            ("Twice", 1, 3, 4.0, "online"));

        var throughputs = BlockSelection.ComputeThroughputs(report, Self);

        // Wide adds 2 everywhere; Twice counts once per block, the row reaching furthest speaking for block 1.
        Assert.Equal([3.0, 6.0, 6.0, 2.0], throughputs);
    }

    [Fact]
    public void ChooseBestBlocks_NoBlocksOrNoSpan_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => BlockSelection.ChooseBestBlocks(Report(0), 4, Self));
        Assert.Throws<ArgumentOutOfRangeException>(() => BlockSelection.ChooseBestBlocks(Report(4), 0, Self));
    }

    [Fact]
    public void ShouldChooseOtherBlocks_TwoServersOnTheSameBlocks_MovesOneToTheWeakHalf()
    {
        // Blocks 4..8 run at 1 rps while 0..4 have 20: moving this node there lifts the weakest block to 10.
        var report = Report(8, (Self, 0, 4, 10.0, "online"), ("A", 0, 4, 10.0, "online"), ("B", 4, 8, 1.0, "online"));

        Assert.True(BlockSelection.ShouldChooseOtherBlocks(report, Self));
    }

    [Fact]
    public void ShouldChooseOtherBlocks_LeavingWouldUncoverBlocksOrAbsent_StaysPut()
    {
        var report = Report(8, (Self, 0, 4, 10.0, "online"), ("A", 4, 8, 10.0, "online"));

        Assert.False(BlockSelection.ShouldChooseOtherBlocks(report, Self));
        Assert.False(BlockSelection.ShouldChooseOtherBlocks(report, "12D3KooWSomeoneElse"));
        Assert.True(BlockSelection.ShouldChooseOtherBlocks(report, Self, balanceQuality: 1.5));
    }
}
