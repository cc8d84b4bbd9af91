// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.OpenAi;

namespace KwaaiNet.Inference.Tests.OpenAi;

public sealed class StopSequenceFilterTests
{
    [Fact]
    public void Push_NoStops_PassesTextThrough()
    {
        var filter = new StopSequenceFilter([]);

        Assert.Equal("abc", filter.Push("abc"));
        Assert.Equal(string.Empty, filter.Flush());
        Assert.False(filter.Stopped);
    }

    [Fact]
    public void Push_StopSplitOverPieces_HoldsItsStartBackAndCutsBeforeIt()
    {
        var filter = new StopSequenceFilter(["END"]);

        Assert.Equal("hello ", filter.Push("hello E"));
        Assert.Equal(string.Empty, filter.Push("N"));
        Assert.Equal(string.Empty, filter.Push("D and more"));
        Assert.True(filter.Stopped);
        Assert.Equal(string.Empty, filter.Push("after"));
        Assert.Equal(string.Empty, filter.Flush());
    }

    [Fact]
    public void Push_HeldTextThatIsNoStop_IsEmittedWithTheNextPiece()
    {
        var filter = new StopSequenceFilter(["END"]);

        Assert.Equal("a", filter.Push("aEN"));
        Assert.Equal("ENx", filter.Push("x"));
        Assert.Equal(string.Empty, filter.Push("E"));
        Assert.Equal("E", filter.Flush());
        Assert.False(filter.Stopped);
    }

    [Fact]
    public void Push_SeveralStops_CutsAtTheEarliest()
    {
        var filter = new StopSequenceFilter(["world", "lo"]);

        Assert.Equal("hel", filter.Push("hello world"));
        Assert.True(filter.Stopped);
    }
}
