// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Net;
using System.Text.Json;
using KwaaiNet.Contracts.Map.V1;
using KwaaiNet.Contracts.Messages;
using KwaaiNet.Petals.Hosting;
using KwaaiNet.Petals.Map;
using KwaaiNet.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace KwaaiNet.Petals.Tests.Hosting;

public sealed class MapAnnouncerHostingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>How ASP.NET Core writes <c>Results.Json</c>.</summary>
    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    private static readonly CarbonSampleRecorded Sample =
        new(Measured: true, Source: "rapl", EnergyJoules: 12.5, AveragePowerWatts: 3.25, RecordedAt: new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), Reason: null);

    [Fact]
    public async Task GetMap_EmptyMap_ReturnsNoServersAndNoCarbonSample()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);
        var client = new MapAnnouncer.MapAnnouncerClient(host.Channel);

        var map = await client.GetMapAsync(new GetMapRequest(), cancellationToken: ct);

        Assert.Empty(map.Servers);
        Assert.Null(map.LatestCarbonSample);
        Assert.NotNull(map.GeneratedAt);
    }

    [Fact]
    public async Task GetMap_CarbonSamplePublished_ReturnsSample()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartWithSampleAsync(ct);
        var client = new MapAnnouncer.MapAnnouncerClient(host.Channel);

        var map = await client.GetMapAsync(new GetMapRequest(), cancellationToken: ct);

        var sample = map.LatestCarbonSample;
        Assert.NotNull(sample);
        Assert.True(sample.Measured);
        Assert.Equal("rapl", sample.Source);
        Assert.Equal(12.5, sample.EnergyJoules);
        Assert.Equal(3.25, sample.AveragePowerWatts);
        Assert.Equal(Sample.RecordedAt, sample.RecordedAt.ToDateTimeOffset());
        Assert.Equal(string.Empty, sample.Reason);
    }

    [Fact]
    public async Task GetMap_UnmeasuredSamplePublished_ReturnsReason()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);
        var client = new MapAnnouncer.MapAnnouncerClient(host.Channel);
        await WaitForHealthyAsync(host, ct);

        var unmeasured = new CarbonSampleRecorded(false, "rapl", null, null, DateTimeOffset.UtcNow, "no RAPL zones under /nowhere");
        await host.App.Services.GetRequiredService<IBus>().Publish(unmeasured, ct);
        var map = await Poll.UntilAsync(
            async token => await client.GetMapAsync(new GetMapRequest(), cancellationToken: token),
            static m => m.LatestCarbonSample is not null,
            Timeout,
            ct);

        Assert.False(map.LatestCarbonSample.Measured);
        Assert.Equal(0, map.LatestCarbonSample.EnergyJoules);
        Assert.Equal("no RAPL zones under /nowhere", map.LatestCarbonSample.Reason);
    }

    [Fact]
    public async Task MapPage_CarbonSamplePublished_ReturnsHtmlWithSample()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartWithSampleAsync(ct);

        using var response = await host.Http.GetAsync(new Uri("/map", UriKind.Relative), ct);
        var html = await response.Content.ReadAsStringAsync(ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<p id=\"carbon\">12.5 J from rapl, 3.25 W average (at 2026-01-02 03:04:05Z).</p>", html, StringComparison.Ordinal);
        Assert.Contains("No servers known yet.", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task State_CarbonSamplePublished_ReturnsContractJsonWithSample()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartWithSampleAsync(ct);

        using var response = await host.Http.GetAsync(new Uri("/api/v1/state", UriKind.Relative), ct);
        var body = await response.Content.ReadAsStringAsync(ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(body);
        Assert.Equal(0, json.RootElement.GetProperty("num_peers").GetInt32());
        Assert.Equal(new MapOptions().CrawlPeriod.TotalSeconds, json.RootElement.GetProperty("update_period").GetDouble());
        Assert.Equal(JsonValueKind.Array, json.RootElement.GetProperty("model_reports").ValueKind);
        var document = JsonSerializer.Deserialize<MapStateDocument>(body, WebJson);
        Assert.NotNull(document);
        Assert.Equal(MapCarbonSample.From(Sample), document.Carbon);
        Assert.Equal(Sample.EnergyJoules, json.RootElement.GetProperty("carbon").GetProperty("energy_joules").GetDouble());
    }

    [Fact]
    public async Task Health_BusStarted_Returns200WithBusCheckHealthy()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);

        var body = await WaitForHealthyAsync(host, ct);

        using var json = JsonDocument.Parse(body);
        Assert.Equal("Healthy", json.RootElement.GetProperty("status").GetString());
        var bus = Assert.Single(json.RootElement.GetProperty("checks").EnumerateObject(), static c => c.Name.Contains("masstransit", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("Healthy", bus.Value.GetProperty("status").GetString());
    }

    private static Task<ModuleHost> StartAsync(CancellationToken cancellationToken) =>
        ModuleHost.StartAsync(static b => b.AddMapAnnouncer(), static a => a.MapMapAnnouncer(), null, cancellationToken);

    /// <summary>Starts the module, publishes <see cref="Sample"/> on its bus and waits until the map holds it.</summary>
    private static async Task<ModuleHost> StartWithSampleAsync(CancellationToken cancellationToken)
    {
        var host = await StartAsync(cancellationToken);
        try
        {
            await WaitForHealthyAsync(host, cancellationToken);
            await host.App.Services.GetRequiredService<IBus>().Publish(Sample, cancellationToken);
            var client = new MapAnnouncer.MapAnnouncerClient(host.Channel);
            await Poll.UntilAsync(
                async token => await client.GetMapAsync(new GetMapRequest(), cancellationToken: token),
                static m => m.LatestCarbonSample is not null,
                Timeout,
                cancellationToken);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>Polls <c>/health</c> until it answers 200 (the bus has started) and returns its body.</summary>
    private static async Task<string> WaitForHealthyAsync(ModuleHost host, CancellationToken cancellationToken)
    {
        var (status, body) = await Poll.UntilAsync(
            async token =>
            {
                using var response = await host.Http.GetAsync(new Uri("/health", UriKind.Relative), token);
                return (response.StatusCode, await response.Content.ReadAsStringAsync(token));
            },
            static r => r.StatusCode == HttpStatusCode.OK,
            Timeout,
            cancellationToken);
        Assert.Equal(HttpStatusCode.OK, status);
        return body;
    }
}
