// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Petals.Map;

namespace KwaaiNet.Petals.Tests.Map;

public sealed class MapPageTests
{
    private const string Script = "<script>alert('x')</script>";
    private const string EncodedScript = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;";
    private static readonly DateTimeOffset At = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Fact]
    public void Render_EmptyDocument_SaysNoServersNoSampleAndNoIssues()
    {
        var html = MapPage.Render(Document([]));

        Assert.StartsWith("<!doctype html>\n<html lang=\"en\">", html, StringComparison.Ordinal);
        Assert.Contains("<p id=\"servers\">No servers known yet.</p>", html, StringComparison.Ordinal);
        Assert.Contains("<p id=\"carbon\">No carbon sample received yet.</p>", html, StringComparison.Ordinal);
        Assert.Contains("<p id=\"reachability\">None reported.</p>", html, StringComparison.Ordinal);
        Assert.Contains("<time id=\"updated\" datetime=\"2026-01-02T03:04:05Z\">2026-01-02 03:04:05Z</time>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<table", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Summary_ShowsPeersBlocksAndModels()
    {
        var html = MapPage.Render(Document([Model("m/one", [1, 0], [])]) with { NumPeers = 7, NumBlocksCovered = 1 });

        Assert.Contains("<dd id=\"num-peers\">7</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"num-blocks\">1</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"num-models\">1</dd>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Model_ShowsNameStatePrefixesAndOneCoverageCellPerBlock()
    {
        var model = Model("unsloth/Llama-3.1-8B-Instruct", [0, 1, 2, 5], []) with { State = "broken", DhtPrefixes = ["Llama-3-1-8B", "Llama-3-1-8B-hf"] };

        var html = MapPage.Render(Document([model]));

        Assert.Contains("<h3 id=\"model-0\">unsloth/Llama-3.1-8B-Instruct</h3>", html, StringComparison.Ordinal);
        Assert.Contains("State: <span class=\"state broken\">broken</span> · 4 blocks · DHT prefixes: <code>Llama-3-1-8B</code>, <code>Llama-3-1-8B-hf</code>", html, StringComparison.Ordinal);
        Assert.Contains("<li class=\"c0\" title=\"block 0: 0 servers\" aria-label=\"block 0: 0 servers\"></li>", html, StringComparison.Ordinal);
        Assert.Contains("<li class=\"c1\" title=\"block 1: 1 server\" aria-label=\"block 1: 1 server\"></li>", html, StringComparison.Ordinal);
        Assert.Contains("<li class=\"c2\" title=\"block 2: 2 servers\" aria-label=\"block 2: 2 servers\"></li>", html, StringComparison.Ordinal);
        Assert.Contains("<li class=\"c3\" title=\"block 3: 5 servers\" aria-label=\"block 3: 5 servers\"></li>", html, StringComparison.Ordinal);
        Assert.Equal(4, Count(html, "aria-label=\"block "));
        Assert.Contains("<li><span class=\"swatch c3\"></span>3 or more servers</li>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_ModelWithoutName_FallsBackToPrefix()
    {
        var html = MapPage.Render(Document([Model(string.Empty, [1], []) with { DhtPrefixes = [] }]));

        Assert.Contains("<h3 id=\"model-0\">prefix</h3>", html, StringComparison.Ordinal);
        Assert.Contains("DHT prefix: <code>prefix</code>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_ServerRows_ShowNamePeerBlocksStateThroughputRelayPledgeAndCarbon()
    {
        MapServerRow[] rows =
        [
            Row("12D3KooWAlice", "alice/v0.1.0", 0, 8, "online", 123.456, relay: false, pledge: true, new MapServerCarbon(true, "rapl", 1234.56789, 42.125, At)),
            Row("12D3KooWBob", "bob/v0.1.0", 8, 16, "joining", 7, relay: true, pledge: false, null) with { ShowPublicName = false },
            Row("12D3KooWCarol", null, 0, 16, "offline", 0, relay: null, pledge: false, new MapServerCarbon(false, "unmeasured", null, null, At)),
        ];

        var html = MapPage.Render(Document([Model("m", [1, 1], rows)]));

        Assert.Contains("<tr data-peer-id=\"12D3KooWAlice\"><td>alice/v0.1.0</td><td><code title=\"12D3KooWAlice\">...WAlice</code></td><td>0–8</td><td><span class=\"state online\">online</span></td><td class=\"num\">123.46</td><td>no</td><td><span class=\"badge\">GliaNet pledge</span></td><td>42.13 W / 1234.568 J</td></tr>", html, StringComparison.Ordinal);
        Assert.Contains("<tr data-peer-id=\"12D3KooWBob\"><td>(unnamed)</td><td><code title=\"12D3KooWBob\">...ooWBob</code></td><td>8–16</td><td><span class=\"state joining\">joining</span></td><td class=\"num\">7</td><td>yes</td><td>—</td><td>—</td></tr>", html, StringComparison.Ordinal);
        Assert.Contains("<tr data-peer-id=\"12D3KooWCarol\"><td>(unnamed)</td><td><code title=\"12D3KooWCarol\">...WCarol</code></td><td>0–16</td><td><span class=\"state offline\">offline</span></td><td class=\"num\">0</td><td>—</td><td>—</td><td>—</td></tr>", html, StringComparison.Ordinal);
        Assert.Equal(1, Count(html, "GliaNet pledge"));
        Assert.Contains("<th scope=\"col\">State</th>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_UnverifiedAttestation_SaysNotVerifiedWithoutBadge()
    {
        var row = Row("12D3KooWA", "a", 0, 1, "online", 1, relay: false, pledge: false, null);
        row = row with { Span = row.Span with { ServerInfo = row.Span.ServerInfo with { TrustAttestations = 1 } } };

        var html = MapPage.Render(Document([Model("m", [1], [row])]));

        Assert.Contains("<td>not verified</td>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("GliaNet pledge", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_MaliciousValues_AreHtmlEncoded()
    {
        var row = Row(Script, Script, 0, 1, Script, 1, relay: false, pledge: false, null) with { ShortPeerId = Script };
        var model = Model(Script, [1], [row]) with { State = Script, DhtPrefixes = [Script] };
        var document = Document([model]) with
        {
            ReachabilityIssues = [new MapReachabilityIssue(Script, Script)],
            TopContributors = [new MapTopContributor(Script, Script, 1, 1)],
        };

        var html = MapPage.Render(document);

        // The only script element is the page's own.
        Assert.Equal(1, Count(html, "<script"));
        Assert.Contains("<h3 id=\"model-0\">" + EncodedScript + "</h3>", html, StringComparison.Ordinal);
        Assert.Contains("<td>" + EncodedScript + "</td><td><code title=\"" + EncodedScript + "\">" + EncodedScript + "</code>", html, StringComparison.Ordinal);
        Assert.Contains("<span class=\"state \">" + EncodedScript + "</span>", html, StringComparison.Ordinal);
        Assert.Contains("<li><code>" + EncodedScript + "</code>: " + EncodedScript + "</li>", html, StringComparison.Ordinal);
        Assert.Contains("aria-label=\"Block coverage of " + EncodedScript + "\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_ReachabilityIssues_ListsEach()
    {
        var html = MapPage.Render(Document([]) with { ReachabilityIssues = [new("12D3KooWA", "dial failed"), new("12D3KooWB", "malformed ServerInfo")] });

        Assert.Contains("<ul id=\"reachability\"><li><code>12D3KooWA</code>: dial failed</li><li><code>12D3KooWB</code>: malformed ServerInfo</li></ul>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_MaliciousUnmeasuredReason_IsHtmlEncoded()
    {
        var html = MapPage.Render(Document([]) with { Carbon = new MapCarbonSample(false, Script, null, null, At, Script) });

        Assert.Equal(1, Count(html, "<script"));
        Assert.Contains("<p id=\"carbon\">Unmeasured: " + EncodedScript + ".</p>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_UnmeasuredWithoutReason_SaysNoEnergySource()
    {
        var html = MapPage.Render(Document([]) with { Carbon = new MapCarbonSample(false, "unmeasured", null, null, At, null) });

        Assert.Contains("<p id=\"carbon\">Unmeasured: no energy source.</p>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_MeasuredSample_ShowsValues()
    {
        var html = MapPage.Render(Document([]) with { Carbon = new MapCarbonSample(true, "rapl", 1234.56789, 42.125, At, null) });

        Assert.Contains("<p id=\"carbon\">1234.568 J from rapl, 42.13 W average (at 2026-01-02 03:04:05Z).</p>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_MainContent_IsRenderMain()
    {
        var document = Document([Model("m", [2, 1], [Row("12D3KooWA", "a", 0, 2, "online", 3, relay: false, pledge: true, null)])]);

        var html = MapPage.Render(document);
        var main = MapPage.RenderMain(document);

        Assert.Contains("<main id=\"map\">" + main + "</main>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<html", main, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", main, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_RefreshPeriod_IsTheBodysDataAttribute()
    {
        var html = MapPage.Render(Document([]), TimeSpan.FromSeconds(3));

        Assert.Contains("<body data-refresh-seconds=\"3\">", html, StringComparison.Ordinal);
        Assert.Contains("<p id=\"live\" hidden>Live updates every 3 s.", html, StringComparison.Ordinal);
        Assert.Contains("fetch(url", html, StringComparison.Ordinal);
        Assert.Contains("\"?fragment=1\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_NothingExternal()
    {
        var html = MapPage.Render(Document([Model("m", [1], [])]));

        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<link", html, StringComparison.Ordinal);
        Assert.DoesNotContain("src=", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(60.0, null, 60)]
    [InlineData(15.4, null, 15)]
    [InlineData(600.0, null, 60)]
    [InlineData(0.0, null, 1)]
    [InlineData(-5.0, null, 1)]
    [InlineData(double.NaN, null, 60)]
    [InlineData(double.PositiveInfinity, null, 60)]
    [InlineData(60.0, 2, 2)]
    [InlineData(60.0, 0, 1)]
    [InlineData(60.0, 100000, 60)]
    public void RefreshSeconds_ClampsToOneToSixty(double updatePeriod, int? requested, int expected)
    {
        Assert.Equal(expected, MapPage.RefreshSeconds(updatePeriod, requested is { } s ? TimeSpan.FromSeconds(s) : null));
    }

    private static int Count(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static MapStateDocument Document(IReadOnlyList<MapModelReport> models) =>
        new([], models, models.Sum(static m => m.ServerRows.Count), 0, [], [], At, 60, 0.5, null);

    private static MapModelReport Model(string name, IReadOnlyList<int> coverage, IReadOnlyList<MapServerRow> rows) =>
        new(name, name.Split('/')[^1], "prefix", "https://huggingface.co/" + name, coverage.Count, "healthy", rows, ["prefix"], coverage);

    private static MapServerRow Row(string peerId, string? name, int start, int end, string state, double throughput, bool? relay, bool pledge, MapServerCarbon? carbon) =>
        new(
            peerId,
            "..." + peerId[^Math.Min(6, peerId.Length)..],
            ShowPublicName: name is not null,
            state,
            new MapPeerIpInfo(null, []),
            new MapSpan(peerId, start, end, new MapServerInfo(state, throughput, start, end, name, "kwaai-0.6.2", null, null, null, "float16", null, relay, 100000, pledge ? 1 : 0)),
            pledge,
            carbon,
            At.AddMinutes(6));
}
