// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Scaling;

namespace KwaaiNet.Inference.Tests.Scaling;

public sealed class WorkerEndpointTests
{
    [Fact]
    public void Resolve_Advertised_Wins()
    {
        var advertised = new Uri("http://10.1.2.3:8091/");

        Assert.Equal(advertised, WorkerEndpoint.Resolve(advertised, "http://localhost:5131", ["http://127.0.0.1:40000"], "10.0.0.9"));
    }

    [Theory]
    [InlineData("http://localhost:5131", "http://localhost:5131/")]
    [InlineData("http://+:8091", "http://10.0.0.9:8091/")]
    [InlineData("http://*:8091", "http://10.0.0.9:8091/")]
    [InlineData("http://0.0.0.0:8091", "http://10.0.0.9:8091/")]
    [InlineData("http://[::]:8091", "http://10.0.0.9:8091/")]
    public void Resolve_ConfiguredGrpcUrl_WithWildcardReplaced(string configured, string expected) =>
        Assert.Equal(new Uri(expected), WorkerEndpoint.Resolve(null, configured, ["http://127.0.0.1:5130", "http://127.0.0.1:5131"], "10.0.0.9"));

    [Fact]
    public void Resolve_ConfiguredPortZero_TakesTheBoundAddress()
    {
        var resolved = WorkerEndpoint.Resolve(null, "http://127.0.0.1:0", ["http://127.0.0.1:41234"], "10.0.0.9");

        Assert.Equal(new Uri("http://127.0.0.1:41234/"), resolved);
    }

    [Fact]
    public void Resolve_NothingConfigured_TakesTheFirstBoundAddress()
    {
        var resolved = WorkerEndpoint.Resolve(null, null, ["not a url", "http://[::]:41234", "http://127.0.0.1:41235"], "10.0.0.9");

        Assert.Equal(new Uri("http://10.0.0.9:41234/"), resolved);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("ftp://x:1")]
    [InlineData("garbage")]
    public void Resolve_NothingUsable_IsNull(string? configured) =>
        Assert.Null(WorkerEndpoint.Resolve(null, configured, ["also garbage"], "10.0.0.9"));
}
