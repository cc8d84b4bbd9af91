// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using System.Net;
using System.Text.Json;
using KwaaiNet.Petals.Hosting;
using KwaaiNet.Petals.Map;
using KwaaiNet.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Libp2pIdentity = KwaaiNet.Libp2p.Identity.NodeIdentity;

namespace KwaaiNet.Petals.Tests.Hosting;

/// <summary>The crawl loop and the bootstrap states in a map-announcer without a dht module in its process.</summary>
public sealed class MapCrawlerServiceTests : IDisposable
{
    private const int DhtUnavailableEventId = 4103;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private readonly LogCapture _logs = new();

    public void Dispose() => _logs.Dispose();

    [Fact]
    public async Task Crawl_DhtServiceNotListening_LogsWarningKeepsEmptyMapAndServes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(null, ct);
        var service = host.App.Services.GetRequiredService<MapCrawlerService>();

        // The first crawl at start fails; a requested one fails the same way, and the node keeps answering.
        await Poll.UntilAsync(() => _logs.Count(DhtUnavailableEventId) >= 1, ct, Limit);
        service.RequestCrawl();
        await Poll.UntilAsync(() => _logs.Count(DhtUnavailableEventId) >= 2, ct, Limit);
        using var response = await host.Http.GetAsync(new Uri("/api/v1/state", UriKind.Relative), ct);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, json.RootElement.GetProperty("model_reports").GetArrayLength());
        Assert.Equal(0, json.RootElement.GetProperty("num_peers").GetInt32());
        var warning = _logs.Entries.First(static e => e.EventId == DhtUnavailableEventId);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("retrying in 00:01:00", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BootstrapStates_PeersConfiguredWithoutGateway_AllOffline()
    {
        var ct = TestContext.Current.CancellationToken;
        var peers = string.Join(
            ',',
            Enumerable.Range(0, 2).Select(static i => $"/ip4/127.0.0.1/tcp/{4001 + i}/p2p/{Libp2pIdentity.GenerateEd25519().PeerId.ToBase58()}"));
        await using var host = await StartAsync(new Dictionary<string, string?> { ["KwaaiNet:Node:initial_peers"] = peers }, ct);

        var states = await host.App.Services.GetRequiredService<IBootstrapStates>().GetStatesAsync(ct);

        Assert.Equal(["offline", "offline"], states);
    }

    [Fact]
    public async Task BootstrapStates_NoPeers_Empty()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(null, ct);

        var states = await host.App.Services.GetRequiredService<IBootstrapStates>().GetStatesAsync(ct);

        Assert.Empty(states);
    }

    [Fact]
    public async Task Options_Section_BoundIntoMapAndStateDocument()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(new Dictionary<string, string?> { ["KwaaiNet:Map:CrawlPeriod"] = "00:02:30", ["KwaaiNet:Map:MaxConcurrentGets"] = "3" }, ct);

        var options = host.App.Services.GetRequiredService<IOptions<MapOptions>>().Value;
        using var json = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/api/v1/state", UriKind.Relative), ct));

        Assert.Equal((TimeSpan.FromSeconds(150), 3), (options.CrawlPeriod, options.MaxConcurrentGets));
        Assert.Equal(150, json.RootElement.GetProperty("update_period").GetDouble());
    }

    [Fact]
    public async Task Start_InvalidCrawlPeriod_FailsNamingTheSetting()
    {
        var ct = TestContext.Current.CancellationToken;

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(new Dictionary<string, string?> { ["KwaaiNet:Map:CrawlPeriod"] = "00:00:00" }, ct));

        Assert.Contains("The field MapOptions.CrawlPeriod must be between 00:00:01 and 1.00:00:00.", error.Message, StringComparison.Ordinal);
    }

    private Task<ModuleHost> StartAsync(Dictionary<string, string?>? settings, CancellationToken ct)
    {
        var all = new Dictionary<string, string?>
        {
            // A dht service address where nothing listens.
            ["KwaaiNet:Dht:Service"] = "http://127.0.0.1:" + FreeTcpPort.Next().ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        return ModuleHost.StartAsync(
            b =>
            {
                b.Logging.AddProvider(_logs);
                b.AddMapAnnouncer();
            },
            static a => a.MapMapAnnouncer(),
            all,
            ct).WaitAsync(Limit, ct);
    }
}
