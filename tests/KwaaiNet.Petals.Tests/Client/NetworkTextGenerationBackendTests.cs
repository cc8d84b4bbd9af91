// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Petals.Client;
using KwaaiNet.Petals.Records;

namespace KwaaiNet.Petals.Tests.Client;

public sealed class NetworkTextGenerationBackendTests
{
    [Fact]
    public void DescribeUnservedBlocks_EveryBlockServed_IsNull() =>
        Assert.Null(NetworkTextGenerationBackend.DescribeUnservedBlocks([Span(0, 2), Span(2, 4), Span(1, 6)], 6));

    [Fact]
    public void DescribeUnservedBlocks_OneGap_NamesIt() =>
        Assert.Equal("blocks [2, 4) are not served", NetworkTextGenerationBackend.DescribeUnservedBlocks([Span(0, 2), Span(4, 6)], 6));

    [Fact]
    public void DescribeUnservedBlocks_SeveralGaps_NamesEachInOrder() =>
        Assert.Equal("blocks [0, 1), [3, 4), [5, 6) are not served", NetworkTextGenerationBackend.DescribeUnservedBlocks([Span(1, 3), Span(4, 5)], 6));

    [Fact]
    public void DescribeUnservedBlocks_NoServers_NamesTheWholeModel() =>
        Assert.Equal("blocks [0, 6) are not served", NetworkTextGenerationBackend.DescribeUnservedBlocks([], 6));

    [Fact]
    public void DescribeUnservedBlocks_SpansOutsideTheModel_AreClipped() =>
        Assert.Equal("blocks [4, 6) are not served", NetworkTextGenerationBackend.DescribeUnservedBlocks([Span(-3, 4), Span(9, 12)], 6));

    private static ServerSpanInfo Span(int start, int end) =>
        new("12D3KooWpeer", start, end, 100, null, null, new Dictionary<string, double>(), ServerState.Online);
}
