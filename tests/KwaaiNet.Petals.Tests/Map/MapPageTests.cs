// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Messages;
using KwaaiNet.Petals.Map;

namespace KwaaiNet.Petals.Tests.Map;

public sealed class MapPageTests
{
    private const string Script = "<script>alert('x')</script>";
    private static readonly DateTimeOffset At = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Fact]
    public void Render_EmptyMap_SaysNoServersAndNoSample()
    {
        var html = MapPage.Render(Document([], null));

        Assert.StartsWith("<!doctype html>", html, StringComparison.Ordinal);
        Assert.Contains("<p id=\"servers\">No servers known yet.</p>", html, StringComparison.Ordinal);
        Assert.Contains("<p id=\"carbon\">No carbon sample received yet.</p>", html, StringComparison.Ordinal);
        Assert.Contains("Updated 2026-01-02 03:04:05Z.", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<table", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Servers_ListsEachSpan()
    {
        Server[] servers =
        [
            new("12D3KooWA", "alice-linux-x86_64", "llama3.1:8b", 0, 8, "online", 123.456),
            new("12D3KooWB", "bob-macos-aarch64", "llama3.1:8b", 8, 16, "joining", 7),
        ];

        var html = MapPage.Render(Document(servers, null));

        Assert.DoesNotContain("No servers known yet.", html, StringComparison.Ordinal);
        Assert.Contains("<tr><td>12D3KooWA</td><td>alice-linux-x86_64</td><td>llama3.1:8b</td><td>0–8</td><td>online</td><td>123.46</td></tr>", html, StringComparison.Ordinal);
        Assert.Contains("<tr><td>12D3KooWB</td><td>bob-macos-aarch64</td><td>llama3.1:8b</td><td>8–16</td><td>joining</td><td>7</td></tr>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_MaliciousPublicName_IsHtmlEncoded()
    {
        Server[] servers = [new("12D3KooWA", Script, "m\"odel&", 0, 1, "online", 1)];

        var html = MapPage.Render(Document(servers, null));

        Assert.DoesNotContain("<script>", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("<td>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td>m&quot;odel&amp;</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_TwoModels_ListsRowsOfBoth()
    {
        var first = Document([new("12D3KooWA", "a", "org/first", 0, 4, "online", 1)], null).ModelReports[0];
        var second = Document([new("12D3KooWB", null, "org/second", 0, 2, "offline", 0)], null).ModelReports[0];

        var html = MapPage.Render(Document([], null) with { ModelReports = [first, second] });

        Assert.Contains("<tr><td>12D3KooWA</td><td>a</td><td>org/first</td><td>0–4</td><td>online</td><td>1</td></tr>", html, StringComparison.Ordinal);
        Assert.Contains("<tr><td>12D3KooWB</td><td></td><td>org/second</td><td>0–2</td><td>offline</td><td>0</td></tr>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_MaliciousUnmeasuredReason_IsHtmlEncoded()
    {
        var sample = new CarbonSampleRecorded(false, Script, null, null, At, Script);

        var html = MapPage.Render(Document([], sample));

        Assert.DoesNotContain("<script>", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("<p id=\"carbon\">Unmeasured: &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;.</p>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_UnmeasuredWithoutReason_SaysNoEnergySource()
    {
        var sample = new CarbonSampleRecorded(false, "unmeasured", null, null, At, null);

        var html = MapPage.Render(Document([], sample));

        Assert.Contains("<p id=\"carbon\">Unmeasured: no energy source.</p>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_MeasuredSample_ShowsValues()
    {
        var sample = new CarbonSampleRecorded(true, "rapl", 1234.56789, 42.125, At, null);

        var html = MapPage.Render(Document([], sample));

        Assert.Contains("<p id=\"carbon\">1234.568 J from rapl, 42.13 W average (at 2026-01-02 03:04:05Z).</p>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_MeasuredSampleWithMaliciousSource_IsHtmlEncoded()
    {
        var sample = new CarbonSampleRecorded(true, Script, 1, 1, At, null);

        var html = MapPage.Render(Document([], sample));

        Assert.DoesNotContain("<script>", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("J from &lt;script&gt;", html, StringComparison.Ordinal);
    }

    /// <summary>A document whose one model (named after the first server's model) holds <paramref name="servers"/>.</summary>
    private static MapStateDocument Document(Server[] servers, CarbonSampleRecorded? sample)
    {
        MapServerRow[] rows =
        [
            .. servers.Select(static s => new MapServerRow(
                s.PeerId,
                "..." + s.PeerId[^6..],
                s.PublicName is not null,
                s.State,
                new MapPeerIpInfo(null, []),
                new MapSpan(s.PeerId, s.Start, s.End, new MapServerInfo(s.State, s.Throughput, s.Start, s.End, s.PublicName, null, null, null, null, null, null, null, null, 0)),
                false,
                null,
                At)),
        ];
        var model = servers.Length == 0 ? "m" : servers[0].Model;
        MapModelReport[] reports = rows.Length == 0 ? [] : [new MapModelReport(model, model, "p", string.Empty, 16, "broken", rows, ["p"], new int[16])];
        return MapStateDocument.Empty(At, TimeSpan.FromSeconds(60)) with { ModelReports = reports, Carbon = MapCarbonSample.From(sample) };
    }

    private sealed record Server(string PeerId, string? PublicName, string Model, int Start, int End, string State, double Throughput);
}
