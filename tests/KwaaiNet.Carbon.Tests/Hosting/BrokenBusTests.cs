// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Net;
using KwaaiNet.Carbon.Hosting;
using KwaaiNet.Contracts.Carbon.V1;
using KwaaiNet.Testing;

namespace KwaaiNet.Carbon.Tests.Hosting;

/// <summary>RabbitMQ down: the service starts, keeps answering, and its health says what is wrong.</summary>
public sealed class BrokenBusTests
{
    [Fact]
    public async Task Start_RabbitMqDown_ServesAndReportsTheBusOnHealth()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await ModuleHost.StartAsync(
            static b => b.AddCarbonTracker(),
            static a => a.MapCarbonTracker(),
            new Dictionary<string, string?> { ["ConnectionStrings:messaging"] = $"amqp://guest:guest@127.0.0.1:{FreeTcpPort.Next()}" },
            ct).WaitAsync(TimeSpan.FromSeconds(30), ct);

        var footprint = await new CarbonTracker.CarbonTrackerClient(host.Channel).GetFootprintAsync(new GetFootprintRequest(), cancellationToken: ct)
            .ResponseAsync.WaitAsync(TimeSpan.FromSeconds(30), ct);
        using var health = await host.Http.GetAsync(new Uri("/health", UriKind.Relative), ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        var body = await health.Content.ReadAsStringAsync(ct);

        Assert.False(string.IsNullOrEmpty(footprint.Source));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Contains("masstransit-bus", body, StringComparison.Ordinal);
    }
}
