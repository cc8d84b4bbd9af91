// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Petals.Client;
using KwaaiNet.Petals.Records;

namespace KwaaiNet.Petals.Tests.Client;

public sealed class SequenceRouterTests
{
    private static readonly Dictionary<string, double> NoRtts = [];

    [Fact]
    public void MakeSequence_OneServerHoldsEverything_IsOneHop()
    {
        var route = SequenceRouter.MakeSequence([Server("a", 0, 6)], 0, 6, NoRtts, 0);

        Assert.Equal([new RouteSpan("a", 0, 6)], route);
    }

    [Fact]
    public void MakeSequence_ThreeThirds_ChainsThemInOrder()
    {
        var route = SequenceRouter.MakeSequence([Server("c", 4, 6), Server("a", 0, 2), Server("b", 2, 4)], 0, 6, NoRtts, 0);

        Assert.Equal([new RouteSpan("a", 0, 2), new RouteSpan("b", 2, 4), new RouteSpan("c", 4, 6)], route);
    }

    [Fact]
    public void MakeSequence_SubRange_CutsTheHopsToIt()
    {
        var route = SequenceRouter.MakeSequence([Server("a", 0, 4), Server("b", 4, 8)], 2, 6, NoRtts, 0);

        Assert.Equal([new RouteSpan("a", 2, 4), new RouteSpan("b", 4, 6)], route);
    }

    [Fact]
    public void MakeSequence_FewerHopsWin_ByTheSwitchCost()
    {
        // One server for all six blocks, or three servers: equal compute, but two more switches of 18 ms + delays.
        Assert.Equal(
            [new RouteSpan("whole", 0, 6)],
            SequenceRouter.MakeSequence([Server("a", 0, 2), Server("b", 2, 4), Server("c", 4, 6), Server("whole", 0, 6)], 0, 6, NoRtts, 0));
    }

    [Fact]
    public void MakeSequence_FasterServer_WinsTheSameBlocks()
    {
        // 4 blocks at 10 rps = 0.4 s against 4 blocks at 1000 rps = 0.004 s.
        var route = SequenceRouter.MakeSequence([Server("slow", 0, 4, rps: 10), Server("fast", 0, 4, rps: 1000)], 0, 4, NoRtts, 0);

        Assert.Equal([new RouteSpan("fast", 0, 4)], route);
    }

    [Fact]
    public void MakeSequence_UnknownInferenceRps_Counts300()
    {
        // 3 blocks at an assumed 300 rps (10 ms) beat 3 blocks at 200 rps (15 ms), and lose to 3 at 400 rps.
        Assert.Equal([new RouteSpan("unknown", 0, 3)], SequenceRouter.MakeSequence([Server("unknown", 0, 3, rps: null), Server("x", 0, 3, rps: 200)], 0, 3, NoRtts, 0));
        Assert.Equal([new RouteSpan("x", 0, 3)], SequenceRouter.MakeSequence([Server("unknown", 0, 3, rps: null), Server("x", 0, 3, rps: 400)], 0, 3, NoRtts, 0));
    }

    [Fact]
    public void MakeSequence_ClientRtt_AvoidsTheFarServer()
    {
        var rtts = new Dictionary<string, double> { ["far"] = 2.0, ["near"] = 0.002 };

        var route = SequenceRouter.MakeSequence([Server("far", 0, 4), Server("near", 0, 4)], 0, 4, rtts, 0);

        Assert.Equal([new RouteSpan("near", 0, 4)], route);
    }

    [Fact]
    public void MakeSequence_NextPings_PickTheCloserNextServer()
    {
        // After a's span ends at block 2, a measured 10 ms to b2 and 4 s to b1: b2 is taken although b1 is otherwise equal.
        var a = Server("a", 0, 2) with { NextPings = new Dictionary<string, double> { ["b1"] = 4.0, ["b2"] = 0.01 } };

        var route = SequenceRouter.MakeSequence([a, Server("b1", 2, 4), Server("b2", 2, 4)], 0, 4, NoRtts, 0);

        Assert.Equal([new RouteSpan("a", 0, 2), new RouteSpan("b2", 2, 4)], route);
    }

    [Fact]
    public void MakeSequence_ServerWithoutCache_IsPenalised()
    {
        // 100 tokens · 2 · 4 blocks = 800 cache tokens needed; "small" has 500 left, "roomy" 10 000, "silent" says nothing.
        var small = Server("small", 0, 4, rps: 10_000) with { CacheTokensLeft = 500 };
        var roomy = Server("roomy", 0, 4, rps: 10) with { CacheTokensLeft = 10_000 };

        Assert.Equal([new RouteSpan("roomy", 0, 4)], SequenceRouter.MakeSequence([small, roomy], 0, 4, NoRtts, cacheTokensNeeded: 100));
        Assert.Equal([new RouteSpan("small", 0, 4)], SequenceRouter.MakeSequence([small, roomy], 0, 4, NoRtts, cacheTokensNeeded: 50));
        Assert.True(SequenceRouter.HasCacheFor(Server("silent", 0, 4), 1_000_000));
    }

    [Fact]
    public void MakeSequence_SwitchesOnlyWhereASpanEnds()
    {
        // a [0, 4) is slow and b [2, 6) fast: the router cannot leave a at block 2, so it is a [0, 4) then b [4, 6)
        // (or b alone, which does not hold block 0).
        var route = SequenceRouter.MakeSequence([Server("a", 0, 4, rps: 10), Server("b", 2, 6, rps: 1000)], 0, 6, NoRtts, 0);

        Assert.Equal([new RouteSpan("a", 0, 4), new RouteSpan("b", 4, 6)], route);
    }

    [Fact]
    public void MakeSequence_ExcludedAndOfflineServers_AreNotUsed()
    {
        var servers = new[]
        {
            Server("a", 0, 2), Server("b", 2, 4, rps: 10_000), Server("b2", 2, 4, rps: 1), Server("off", 2, 4, rps: 100_000) with { State = ServerState.Joining },
        };

        var route = SequenceRouter.MakeSequence(servers, 0, 4, NoRtts, 0, excluded: new HashSet<string> { "b" });

        Assert.Equal([new RouteSpan("a", 0, 2), new RouteSpan("b2", 2, 4)], route);
    }

    [Fact]
    public void MakeSequence_GapInCoverage_ThrowsRouteNotFound()
    {
        var error = Assert.Throws<RouteNotFoundException>(() => SequenceRouter.MakeSequence([Server("a", 0, 2), Server("c", 3, 6)], 0, 6, NoRtts, 0));

        Assert.Contains("[0, 6)", error.Message, StringComparison.Ordinal);
        Assert.Throws<RouteNotFoundException>(() => SequenceRouter.MakeSequence([], 0, 1, NoRtts, 0));
        Assert.Throws<RouteNotFoundException>(() => SequenceRouter.MakeSequence([Server("a", 0, 6)], 0, 6, NoRtts, 0, new HashSet<string> { "a" }));
    }

    [Fact]
    public void MakeSequence_BadRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SequenceRouter.MakeSequence([Server("a", 0, 6)], 3, 3, NoRtts, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SequenceRouter.MakeSequence([Server("a", 0, 6)], -1, 3, NoRtts, 0));
    }

    [Fact]
    public void MakeSequence_EqualServers_IsDeterministic()
    {
        var servers = new[] { Server("z", 0, 4), Server("m", 0, 4), Server("b", 0, 4) };

        var routes = Enumerable.Range(0, 5).Select(i => SequenceRouter.MakeSequence([.. servers.Skip(i % 3), .. servers.Take(i % 3)], 0, 4, NoRtts, 0)).ToList();

        Assert.All(routes, r => Assert.Equal(routes[0], r));
    }

    [Theory]
    [InlineData(null, 0.15)]
    [InlineData(0.0, 0.0)]
    [InlineData(0.1, 0.05)]
    [InlineData(20.0, 5.0)]
    [InlineData(double.PositiveInfinity, 5.0)]
    [InlineData(double.NaN, 0.15)]
    [InlineData(-1.0, 0.15)]
    public void RttToDelay_IsHalfTheRttCappedAt5(double? rtt, double delay) => Assert.Equal(delay, SequenceRouter.RttToDelay(rtt), 9);

    internal static ServerSpanInfo Server(string peer, int start, int end, double? rps = 300) =>
        new(peer, start, end, Throughput: 100, rps, CacheTokensLeft: null, new Dictionary<string, double>(), ServerState.Online);
}
