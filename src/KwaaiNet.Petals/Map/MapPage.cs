// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using System.Net;
using System.Text;

namespace KwaaiNet.Petals.Map;

/// <summary>
/// The <c>/map</c> web page: the <c>/api/v1/state</c> document rendered on the server, self-contained (inline CSS and
/// script, nothing loaded from elsewhere) and complete without JavaScript. With JavaScript, a small inline script
/// fetches <c>/map?fragment=1</c> (<see cref="RenderMain"/>, the same rendering) every few seconds and swaps it in.
/// Every value from the document is HTML-encoded.
/// </summary>
public static class MapPage
{
    /// <summary>Shortest live-refresh period, in seconds.</summary>
    public const int MinRefreshSeconds = 1;

    /// <summary>Longest live-refresh period, in seconds.</summary>
    public const int MaxRefreshSeconds = 60;

    /// <summary>Coverage colours stop at this many online servers ("3 or more").</summary>
    private const int CoverageLevels = 3;

    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    private const string Style = """
        :root{color-scheme:light}
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1a1a1a;background:#fff;line-height:1.45}
        header,main,footer{max-width:76rem;margin:0 auto;padding:0 1rem}
        header{border-bottom:1px solid #767676}
        h1{font-size:1.6rem;margin:1rem 0 .4rem}
        h2{font-size:1.3rem;margin:1.6rem 0 .5rem}
        h3{font-size:1.15rem;margin:1.4rem 0 .3rem}
        h4{font-size:1rem;margin:1rem 0 .3rem}
        code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.92em}
        .summary{display:flex;flex-wrap:wrap;gap:.4rem 2.5rem;margin:0}
        .summary dt{font-weight:600}
        .summary dd{margin:0}
        .model{border-top:1px solid #767676;margin-top:1.4rem}
        .coverage{display:flex;flex-wrap:wrap;gap:2px;list-style:none;padding:0;margin:.4rem 0}
        .coverage li{width:1rem;height:1.6rem;border:1px solid #4d4d4d;box-sizing:border-box}
        .legend{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;list-style:none;padding:0;margin:.3rem 0 .8rem}
        .swatch{display:inline-block;width:1rem;height:1rem;border:1px solid #4d4d4d;vertical-align:-.15rem;margin-right:.35rem}
        .c0{background:#b00020}.c1{background:#f2a900}.c2{background:#7cb342}.c3{background:#1b5e20}
        table{border-collapse:collapse;margin:.4rem 0 1rem}
        .visually-hidden{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
        th,td{border:1px solid #b3b3b3;padding:.3rem .6rem;text-align:left;vertical-align:top}
        th{background:#f0f0f0}
        td.num{text-align:right}
        .state{font-weight:600}
        .online,.healthy{color:#1b5e20}.joining{color:#7a4100}.offline,.broken{color:#b00020}
        .badge{display:inline-block;background:#1b5e20;color:#fff;border-radius:.7rem;padding:.05rem .55rem;font-size:.85rem;white-space:nowrap}
        #live{margin:.2rem 0 .8rem}
        button{font:inherit;padding:.15rem .6rem}
        footer{border-top:1px solid #767676;margin-top:2rem;padding-bottom:1rem;font-size:.9rem}
        """;

    private const string Script = """
        (() => {
          const main = document.getElementById("map");
          const live = document.getElementById("live");
          const pause = document.getElementById("pause");
          const seconds = Number(document.body.dataset.refreshSeconds) || 60;
          let paused = false;
          live.hidden = false;
          pause.addEventListener("click", () => {
            paused = !paused;
            pause.setAttribute("aria-pressed", String(paused));
          });
          const url = location.pathname + "?fragment=1";
          const tick = async () => {
            if (!paused) {
              try {
                const response = await fetch(url, { cache: "no-store" });
                if (response.ok) {
                  main.innerHTML = await response.text();
                }
              } catch {
                // Keep the last view; the next tick tries again.
              }
            }
            setTimeout(tick, seconds * 1000);
          };
          setTimeout(tick, seconds * 1000);
        })();
        """;

    /// <summary>
    /// Renders <paramref name="document"/> as a complete page. The live refresh runs every
    /// <paramref name="refreshPeriod"/> when given, else every <c>update_period</c>, both within
    /// <see cref="MinRefreshSeconds"/>..<see cref="MaxRefreshSeconds"/>.
    /// </summary>
    public static string Render(MapStateDocument document, TimeSpan? refreshPeriod = null)
    {
        ArgumentNullException.ThrowIfNull(document);
        var seconds = RefreshSeconds(document.UpdatePeriod, refreshPeriod);
        var html = new StringBuilder();
        html.Append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>KwaaiNet network map</title><style>").Append(Style).Append("</style></head>\n");
        html.Append(C, $"<body data-refresh-seconds=\"{seconds}\">\n<header><h1>KwaaiNet network map</h1>");
        html.Append(C, $"<p id=\"live\" hidden>Live updates every {seconds} s. <button type=\"button\" id=\"pause\" aria-pressed=\"false\">Pause live updates</button></p></header>\n");
        html.Append("<main id=\"map\">");
        AppendMain(html, document);
        html.Append("</main>\n<footer><p>The same data as JSON: <a href=\"/api/v1/state\">/api/v1/state</a>.</p></footer>\n");
        html.Append("<script>").Append(Script).Append("</script>\n</body></html>\n");
        return html.ToString();
    }

    /// <summary>The content of the page's <c>&lt;main&gt;</c> element, which the live refresh swaps in.</summary>
    public static string RenderMain(MapStateDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var html = new StringBuilder();
        AppendMain(html, document);
        return html.ToString();
    }

    /// <summary>
    /// The live-refresh period in whole seconds: <paramref name="requested"/> when given, else
    /// <paramref name="updatePeriodSeconds"/>, clamped to <see cref="MinRefreshSeconds"/>..<see cref="MaxRefreshSeconds"/>.
    /// </summary>
    internal static int RefreshSeconds(double updatePeriodSeconds, TimeSpan? requested)
    {
        var seconds = requested?.TotalSeconds ?? updatePeriodSeconds;
        return double.IsFinite(seconds)
            ? (int)Math.Clamp(Math.Round(seconds), MinRefreshSeconds, MaxRefreshSeconds)
            : MaxRefreshSeconds;
    }

    private static void AppendMain(StringBuilder html, MapStateDocument document)
    {
        html.Append("<section aria-labelledby=\"summary-heading\"><h2 id=\"summary-heading\">Summary</h2><dl class=\"summary\">");
        html.Append(C, $"<div><dt>Last updated</dt><dd><time id=\"updated\" datetime=\"{E(document.LastUpdated.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", C))}\">{E(document.LastUpdated.ToUniversalTime().ToString("u", C))}</time></dd></div>");
        html.Append(C, $"<div><dt>Peers</dt><dd id=\"num-peers\">{document.NumPeers}</dd></div>");
        html.Append(C, $"<div><dt>Blocks covered</dt><dd id=\"num-blocks\">{document.NumBlocksCovered}</dd></div>");
        html.Append(C, $"<div><dt>Models</dt><dd id=\"num-models\">{document.ModelReports.Count}</dd></div>");
        html.Append("</dl></section>");

        html.Append("<section aria-labelledby=\"models-heading\"><h2 id=\"models-heading\">Models</h2>");
        if (document.ModelReports.Count == 0)
        {
            html.Append("<p id=\"servers\">No servers known yet.</p>");
        }

        for (var i = 0; i < document.ModelReports.Count; i++)
        {
            AppendModel(html, document.ModelReports[i], i);
        }

        html.Append("</section>");

        AppendTopContributors(html, document.TopContributors);
        AppendCarbon(html, document.Carbon);
        AppendReachability(html, document.ReachabilityIssues);
    }

    private static void AppendModel(StringBuilder html, MapModelReport model, int index)
    {
        var name = string.IsNullOrEmpty(model.Name) ? model.DhtPrefix : model.Name;
        html.Append(C, $"<article class=\"model\" aria-labelledby=\"model-{index}\"><h3 id=\"model-{index}\">{E(name)}</h3><p>");
        html.Append(C, $"State: <span class=\"state {StateClass(model.State, "healthy", "broken")}\">{E(model.State)}</span> · {model.NumBlocks} blocks · ");
        var prefixes = model.DhtPrefixes.Count > 0 ? model.DhtPrefixes : [model.DhtPrefix];
        html.Append(prefixes.Count == 1 ? "DHT prefix: " : "DHT prefixes: ");
        html.AppendJoin(", ", prefixes.Select(static p => "<code>" + E(p) + "</code>"));
        html.Append("</p>");

        html.Append(C, $"<h4>Block coverage</h4><ol class=\"coverage\" aria-label=\"Block coverage of {E(name)}\">");
        for (var block = 0; block < model.BlockCoverage.Count; block++)
        {
            var servers = Math.Max(0, model.BlockCoverage[block]);
            var text = string.Format(C, "block {0}: {1} {2}", block, servers, servers == 1 ? "server" : "servers");
            html.Append(C, $"<li class=\"c{Math.Min(servers, CoverageLevels)}\" title=\"{text}\" aria-label=\"{text}\"></li>");
        }

        html.Append("</ol><ul class=\"legend\" aria-label=\"Legend: online servers per block\">")
            .Append("<li><span class=\"swatch c0\"></span>no server</li>")
            .Append("<li><span class=\"swatch c1\"></span>1 server</li>")
            .Append("<li><span class=\"swatch c2\"></span>2 servers</li>")
            .Append(C, $"<li><span class=\"swatch c3\"></span>{CoverageLevels} or more servers</li></ul>");

        html.Append("<h4>Servers</h4>");
        if (model.ServerRows.Count == 0)
        {
            html.Append("<p>No servers.</p></article>");
            return;
        }

        html.Append(C, $"<table class=\"servers\"><caption class=\"visually-hidden\">Servers of {E(name)}</caption><thead><tr>")
            .Append("<th scope=\"col\">Name</th><th scope=\"col\">Peer</th><th scope=\"col\">Blocks</th><th scope=\"col\">State</th>")
            .Append("<th scope=\"col\">Throughput (req/s)</th><th scope=\"col\">Relay</th><th scope=\"col\">Pledge</th><th scope=\"col\">Carbon</th>")
            .Append("</tr></thead><tbody>");
        foreach (var row in model.ServerRows)
        {
            var info = row.Span.ServerInfo;
            var publicName = row.ShowPublicName && !string.IsNullOrEmpty(info.PublicName) ? E(info.PublicName) : "(unnamed)";
            html.Append(C, $"<tr data-peer-id=\"{E(row.PeerId)}\"><td>{publicName}</td><td><code title=\"{E(row.PeerId)}\">{E(row.ShortPeerId)}</code></td>");
            html.Append(C, $"<td>{row.Span.Start}–{row.Span.End}</td>");
            html.Append(C, $"<td><span class=\"state {StateClass(row.State, "online", "joining", "offline")}\">{E(row.State)}</span></td>");
            html.Append(C, $"<td class=\"num\">{info.Throughput:0.##}</td>");
            html.Append(info.UsingRelay switch { true => "<td>yes</td>", false => "<td>no</td>", null => "<td>—</td>" });
            html.Append(row.PledgeVerified
                ? "<td><span class=\"badge\">GliaNet pledge</span></td>"
                : info.TrustAttestations > 0 ? "<td>not verified</td>" : "<td>—</td>");
            html.Append("<td>").Append(CarbonText(row.Carbon)).Append("</td></tr>");
        }

        html.Append("</tbody></table></article>");
    }

    private static void AppendTopContributors(StringBuilder html, IReadOnlyList<MapTopContributor> contributors)
    {
        if (contributors.Count == 0)
        {
            return;
        }

        html.Append("<section aria-labelledby=\"top-heading\"><h2 id=\"top-heading\">Top contributors</h2>")
            .Append("<table><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Peer</th><th scope=\"col\">Throughput (req/s)</th><th scope=\"col\">Blocks</th></tr></thead><tbody>");
        foreach (var c in contributors)
        {
            html.Append(C, $"<tr><td>{(string.IsNullOrEmpty(c.PublicName) ? "(unnamed)" : E(c.PublicName))}</td><td><code>{E(c.PeerId)}</code></td><td class=\"num\">{c.Throughput:0.##}</td><td class=\"num\">{c.Blocks}</td></tr>");
        }

        html.Append("</tbody></table></section>");
    }

    private static void AppendCarbon(StringBuilder html, MapCarbonSample? sample)
    {
        html.Append("<section aria-labelledby=\"energy-heading\"><h2 id=\"energy-heading\">Energy of this node</h2>");
        html.Append(sample switch
        {
            null => "<p id=\"carbon\">No carbon sample received yet.</p>",
            { Measured: false } s => $"<p id=\"carbon\">Unmeasured: {E(s.Reason ?? "no energy source")}.</p>",
            var s => string.Format(C, "<p id=\"carbon\">{0:0.###} J from {1}, {2:0.##} W average (at {3}).</p>", s.EnergyJoules, E(s.Source), s.AveragePowerWatts, E(s.RecordedAt.ToString("u", C))),
        });
        html.Append("</section>");
    }

    private static void AppendReachability(StringBuilder html, IReadOnlyList<MapReachabilityIssue> issues)
    {
        html.Append("<section aria-labelledby=\"reachability-heading\"><h2 id=\"reachability-heading\">Reachability issues</h2>");
        if (issues.Count == 0)
        {
            html.Append("<p id=\"reachability\">None reported.</p></section>");
            return;
        }

        html.Append("<ul id=\"reachability\">");
        foreach (var issue in issues)
        {
            html.Append(C, $"<li><code>{E(issue.PeerId)}</code>: {E(issue.Error)}</li>");
        }

        html.Append("</ul></section>");
    }

    /// <summary>Power and energy of a measured sample; an em dash when unmeasured or absent.</summary>
    private static string CarbonText(MapServerCarbon? carbon)
    {
        if (carbon is not { Measured: true })
        {
            return "—";
        }

        List<string> parts = [];
        if (carbon.AveragePowerWatts is { } watts)
        {
            parts.Add(string.Format(C, "{0:0.##} W", watts));
        }

        if (carbon.EnergyJoules is { } joules)
        {
            parts.Add(string.Format(C, "{0:0.###} J", joules));
        }

        return parts.Count == 0 ? "—" : string.Join(" / ", parts);
    }

    /// <summary>The CSS class of a known state word; nothing for anything else (the text still shows it).</summary>
    private static string StateClass(string state, params ReadOnlySpan<string> known)
    {
        foreach (var k in known)
        {
            if (string.Equals(state, k, StringComparison.Ordinal))
            {
                return k;
            }
        }

        return string.Empty;
    }

    private static string E(string? value) => WebUtility.HtmlEncode(value ?? string.Empty);
}
