// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Net;

namespace KwaaiNet.AppHost.Tests;

/// <summary>The embedded node answers the same calls as the split deployment, from one process.</summary>
[Trait("Category", "Integration")]
public sealed class EmbeddedModeTests(EmbeddedAppFixture fixture) : IClassFixture<EmbeddedAppFixture>
{
    [Fact]
    public async Task Node_AnswersEveryServiceCall()
    {
        var ct = TestContext.Current.CancellationToken;
        var node = fixture.Channel("node");

        await NodeCalls.AssertIdentityAsync(node, fixture.Home, ct);
        await NodeCalls.AssertDhtRoundTripAsync(node, ct);
        await NodeCalls.AssertInferenceInfoAsync(node, ct);
        await NodeCalls.AssertFootprintAsync(node, ct);
        await NodeCalls.WaitForCarbonSampleOnMapAsync(node, ct);
    }

    [Fact]
    public async Task Dht_ServesAndCallsPeersOnTheInProcessLibp2pNode() =>
        await NodeCalls.AssertDhtOverLibp2pAsync(fixture.Channel("node"), fixture.Channel("node"), TestContext.Current.CancellationToken);

    [Fact]
    public async Task Map_ShowsTheWorkersSpanAnnouncedThroughTheInProcessDht()
    {
        var ct = TestContext.Current.CancellationToken;
        using var front = fixture.Http("node", "public");

        await NodeCalls.AssertOwnSpanOnMapAsync(front, await NodeCalls.PeerIdAsync(fixture.Channel("node"), ct), ct);
    }

    [Fact]
    public async Task PublicFront_ServesMapAndRefusesHealth()
    {
        var ct = TestContext.Current.CancellationToken;
        using var front = fixture.Http("node", "public");

        using var page = await front.GetAsync(new Uri("/map", UriKind.Relative), ct);
        using var health = await front.GetAsync(new Uri("/health", UriKind.Relative), ct);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, health.StatusCode);
    }
}
