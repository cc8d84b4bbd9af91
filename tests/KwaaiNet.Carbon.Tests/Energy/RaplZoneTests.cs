// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Carbon.Energy;

namespace KwaaiNet.Carbon.Tests.Energy;

public sealed class RaplZoneTests
{
    [Theory]
    [InlineData(100UL, 250UL, 1_000UL, 150UL)]
    [InlineData(900UL, 100UL, 1_000UL, 200UL)]
    [InlineData(1_000UL, 0UL, 1_000UL, 0UL)]
    [InlineData(ulong.MaxValue - 10, 5UL, ulong.MaxValue, 15UL)]
    [InlineData(900UL, 100UL, 0UL, 0UL)]
    [InlineData(2_000UL, 100UL, 1_000UL, 0UL)]
    public void ComputeDeltaMicrojoules_Cases_MatchesWrapArithmetic(ulong last, ulong current, ulong range, ulong expected)
    {
        Assert.Equal(expected, RaplZone.ComputeDeltaMicrojoules(last, current, range));
    }

    [Theory]
    [InlineData("intel-rapl:0", new[] { 0 })]
    [InlineData("intel-rapl:12:3", new[] { 12, 3 })]
    [InlineData("amd-rapl:1", new[] { 1 })]
    public void TryParseZoneId_RaplZone_ReturnsIndices(string id, int[] expected)
    {
        Assert.True(RaplZoneDiscovery.TryParseZoneId(id, out var indices));
        Assert.Equal(expected, indices);
    }

    [Theory]
    [InlineData("intel-rapl-mmio:0")]
    [InlineData("intel-rapl")]
    [InlineData("-rapl:0")]
    [InlineData("intel-rapl:")]
    [InlineData("intel-rapl:x")]
    [InlineData("intel-rapl:-1")]
    [InlineData("dtpm:0")]
    public void TryParseZoneId_NotRaplZone_ReturnsFalse(string id)
    {
        Assert.False(RaplZoneDiscovery.TryParseZoneId(id, out _));
    }
}
