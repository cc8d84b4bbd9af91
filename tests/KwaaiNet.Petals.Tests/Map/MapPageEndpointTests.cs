// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Net;
using KwaaiNet.Petals.Map;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;

namespace KwaaiNet.Petals.Tests.Map;

public sealed class MapPageEndpointTests
{
    private static readonly MapStateDocument Document =
        new([], [], 3, 8, [], [], new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), 20, 0.5, null);

    [Fact]
    public async Task Get_NoQuery_ReturnsThePageRefreshingEveryUpdatePeriod()
    {
        var (status, type, body) = await GetAsync("/map");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text/html", type);
        Assert.StartsWith("<!doctype html>", body, StringComparison.Ordinal);
        Assert.Contains("<body data-refresh-seconds=\"20\">", body, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"num-peers\">3</dd>", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_Fragment_ReturnsOnlyTheMainContent()
    {
        var (status, type, body) = await GetAsync("/map?fragment=1");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text/html", type);
        Assert.Equal(MapPage.RenderMain(Document), body);
    }

    [Theory]
    [InlineData("/map?refresh=2", 2)]
    [InlineData("/map?refresh=0", 1)]
    [InlineData("/map?refresh=99999", 60)]
    [InlineData("/map?refresh=-3", 20)]
    [InlineData("/map?refresh=abc", 20)]
    [InlineData("/map?refresh=99999999999999999999", 20)]
    [InlineData("/map?fragment=yes", 20)]
    public async Task Get_RefreshQuery_SetsThePeriodOrIsIgnoredWhenBad(string path, int expected)
    {
        var (status, _, body) = await GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains($"<body data-refresh-seconds=\"{expected}\">", body, StringComparison.Ordinal);
    }

    private static async Task<(HttpStatusCode Status, string? MediaType, string Body)> GetAsync(string path)
    {
        var ct = TestContext.Current.CancellationToken;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseTestServer();
        await using var app = builder.Build();
        app.MapMapPage(static _ => Document);
        await app.StartAsync(ct);
        using var client = app.GetTestClient();
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative), ct);
        var result = (response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(ct));
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        await app.StopAsync(ct);
        return result;
    }
}
