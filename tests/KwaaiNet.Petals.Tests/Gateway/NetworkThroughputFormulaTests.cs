// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Petals.Gateway;

namespace KwaaiNet.Petals.Tests.Gateway;

public sealed class NetworkThroughputFormulaTests
{
    [Fact]
    public void NetworkRps_100MbpsHidden4096_IsBitsOverHiddenTimes16()
    {
        // 100 Mbit/s over 4096 fp16 values (65,536 bits) a request.
        Assert.Equal(100e6 / 65_536, NetworkThroughput.NetworkRps(100e6, 4096));
    }

    [Theory]
    [InlineData(null, 4096)]
    [InlineData(0.0, 4096)]
    [InlineData(-1.0, 4096)]
    [InlineData(double.NaN, 4096)]
    [InlineData(double.PositiveInfinity, 4096)]
    [InlineData(100e6, 0)]
    [InlineData(100e6, -4096)]
    public void NetworkRps_UnknownRateOrNoHiddenSize_IsNull(double? bitsPerSecond, int hiddenSize)
    {
        Assert.Null(NetworkThroughput.NetworkRps(bitsPerSecond, hiddenSize));
    }

    [Fact]
    public void Effective_NetworkSlowerThanCompute_IsNetworkRps()
    {
        // 10 Mbit/s and 8192 hidden: 10e6 / 131,072 ≈ 76.3 requests/s, below a compute rate of 500.
        Assert.Equal(10e6 / 131_072, NetworkThroughput.Effective(500.0, 10e6, 8192, usingRelay: false));
    }

    [Fact]
    public void Effective_ComputeSlowerThanNetwork_IsCompute()
    {
        Assert.Equal(25.0, NetworkThroughput.Effective(25.0, 1e9, 4096, usingRelay: false));
    }

    [Fact]
    public void Effective_UsingRelay_TakesOneFifthOfTheNetworkRate()
    {
        // 1 Gbit/s and 4096 hidden: about 15,259 requests/s direct, about 3,052 through a relay.
        var direct = NetworkThroughput.Effective(1e6, 1e9, 4096, usingRelay: false);
        var relayed = NetworkThroughput.Effective(1e6, 1e9, 4096, usingRelay: true);

        Assert.Equal(1e9 / 65_536, direct);
        Assert.Equal(1e9 / 65_536 * 0.2, relayed);
    }

    [Fact]
    public void Effective_UsingRelayButComputeLower_IsCompute()
    {
        Assert.Equal(30.0, NetworkThroughput.Effective(30.0, 1e9, 4096, usingRelay: true));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0.0)]
    [InlineData(-3.0)]
    [InlineData(double.NaN)]
    public void Effective_NoNetworkFigure_IsCompute(double? networkBitsPerSecond)
    {
        Assert.Equal(42.5, NetworkThroughput.Effective(42.5, networkBitsPerSecond, 4096, usingRelay: true));
    }

    [Fact]
    public void Effective_HiddenSizeZero_IsCompute()
    {
        Assert.Equal(42.5, NetworkThroughput.Effective(42.5, 1e3, 0, usingRelay: false));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Effective_ComputeUnknown_Is10(double? compute)
    {
        // Upstream announces 10.0 without a benchmark, whatever the network: here a slow link would otherwise win.
        Assert.Equal(10.0, NetworkThroughput.Effective(compute, 1e3, 4096, usingRelay: false));
    }

    [Fact]
    public void Effective_ComputeZero_IsZero()
    {
        Assert.Equal(0.0, NetworkThroughput.Effective(0.0, 1e9, 4096, usingRelay: false));
    }
}
