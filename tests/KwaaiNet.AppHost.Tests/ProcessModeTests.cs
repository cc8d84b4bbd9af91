// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Net;
using System.Text.Json;
using KwaaiNet.Testing;

namespace KwaaiNet.AppHost.Tests;

/// <summary>The split deployment on real redis-server and rabbitmq-server processes.</summary>
[Trait("Category", "Integration")]
public sealed class ProcessModeTests(ProcessAppFixture fixture) : IClassFixture<ProcessAppFixture>
{
    [Fact]
    public async Task Services_AnswerTheirGrpcCalls()
    {
        var ct = TestContext.Current.CancellationToken;

        await NodeCalls.AssertIdentityAsync(fixture.Channel("p2p-gateway"), fixture.Home, ct);
        await NodeCalls.AssertDhtRoundTripAsync(fixture.Channel("dht"), ct);
        await NodeCalls.AssertInferenceInfoAsync(fixture.Channel("inference-worker"), ct);
        await NodeCalls.AssertFootprintAsync(fixture.Channel("carbon-tracker"), ct);
    }

    [Fact]
    public async Task Dht_ServesAndCallsPeersThroughTheGateway() =>
        await NodeCalls.AssertDhtOverLibp2pAsync(fixture.Channel("p2p-gateway"), fixture.Channel("dht"), TestContext.Current.CancellationToken);

    [Fact]
    public async Task Map_ShowsTheWorkersSpanAnnouncedThroughTheDhtService()
    {
        var ct = TestContext.Current.CancellationToken;
        using var front = fixture.Http("p2p-gateway", "public");

        await NodeCalls.AssertOwnSpanOnMapAsync(front, await NodeCalls.PeerIdAsync(fixture.Channel("p2p-gateway"), ct), ct);
    }

    [Fact]
    public async Task CarbonSample_CrossesRabbitMqToTheMap()
    {
        var map = await NodeCalls.WaitForCarbonSampleOnMapAsync(fixture.Channel("map-announcer"), TestContext.Current.CancellationToken);

        Assert.False(string.IsNullOrEmpty(map.LatestCarbonSample.Source));
        Assert.InRange(map.LatestCarbonSample.RecordedAt.ToDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task Trace_SpansCarbonTrackerAndMapAnnouncer()
    {
        var ct = TestContext.Current.CancellationToken;
        await NodeCalls.WaitForCarbonSampleOnMapAsync(fixture.Channel("map-announcer"), ct);
        using var dashboard = new HttpClient { BaseAddress = fixture.DashboardUrl, Timeout = TimeSpan.FromSeconds(30) };

        // The publish span (carbon-tracker) and the consume span (map-announcer) share a trace id when MassTransit
        // carries the trace context through RabbitMQ. Telemetry is exported in batches, so poll.
        await Poll.UntilAsync(
            async token =>
            {
                using var spans = JsonDocument.Parse(await dashboard.GetStringAsync(new Uri("/api/telemetry/spans", UriKind.Relative), token));
                return TraceServices(spans.RootElement);
            },
            static services => services.Values.Any(static s =>
                s.Any(static n => n.StartsWith("carbon-tracker", StringComparison.Ordinal)) && s.Any(static n => n.StartsWith("map-announcer", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(90),
            TimeSpan.FromSeconds(1),
            ct);
    }

    [Fact]
    public async Task PublicFront_RoutesMapAndRefusesInternalEndpoints()
    {
        var ct = TestContext.Current.CancellationToken;
        using var front = fixture.Http("p2p-gateway", "public");

        using var page = await front.GetAsync(new Uri("/map", UriKind.Relative), ct);
        using var state = await front.GetAsync(new Uri("/api/v1/state", UriKind.Relative), ct);
        using var openAi = await front.GetAsync(new Uri("/v1/models", UriKind.Relative), ct);
        using var health = await front.GetAsync(new Uri("/health", UriKind.Relative), ct);
        using var alive = await front.GetAsync(new Uri("/alive", UriKind.Relative), ct);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("KwaaiNet network map", await page.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, state.StatusCode);
        using (var json = JsonDocument.Parse(await state.Content.ReadAsStringAsync(ct)))
        {
            Assert.Equal(JsonValueKind.Array, json.RootElement.GetProperty("model_reports").ValueKind);
        }

        // The worker answers /v1/* with the OpenAI-compatible API: the model list, whether or not the model is loaded yet.
        Assert.Equal(HttpStatusCode.OK, openAi.StatusCode);
        using (var models = JsonDocument.Parse(await openAi.Content.ReadAsStringAsync(ct)))
        {
            Assert.Equal("list", models.RootElement.GetProperty("object").GetString());
        }

        Assert.Equal(HttpStatusCode.NotFound, health.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, alive.StatusCode);
    }

    private static Dictionary<string, HashSet<string>> TraceServices(JsonElement root)
    {
        var byTrace = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        if (!root.TryGetProperty("data", out var data) && !root.TryGetProperty("resourceSpans", out data))
        {
            return byTrace;
        }

        var resourceSpans = data.ValueKind == JsonValueKind.Object && data.TryGetProperty("resourceSpans", out var inner) ? inner : data;
        foreach (var resource in resourceSpans.EnumerateArray())
        {
            var service = resource.GetProperty("resource").GetProperty("attributes").EnumerateArray()
                .Where(static a => a.GetProperty("key").GetString() == "service.name")
                .Select(static a => a.GetProperty("value").GetProperty("stringValue").GetString())
                .FirstOrDefault() ?? "?";
            foreach (var scope in resource.GetProperty("scopeSpans").EnumerateArray())
            {
                foreach (var span in scope.GetProperty("spans").EnumerateArray())
                {
                    var trace = span.GetProperty("traceId").GetString() ?? string.Empty;
                    if (!byTrace.TryGetValue(trace, out var set))
                    {
                        byTrace[trace] = set = new HashSet<string>(StringComparer.Ordinal);
                    }

                    set.Add(service);
                }
            }
        }

        return byTrace;
    }
}
