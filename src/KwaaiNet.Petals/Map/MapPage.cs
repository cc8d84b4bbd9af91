// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using System.Net;
using System.Text;

namespace KwaaiNet.Petals.Map;

/// <summary>The <c>/map</c> web page: a server-rendered table of the map, readable without JavaScript.</summary>
public static class MapPage
{
    /// <summary>Renders <paramref name="document"/> as a self-contained HTML page; every value is HTML-encoded.</summary>
    public static string Render(MapStateDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var c = CultureInfo.InvariantCulture;
        var html = new StringBuilder();
        html.Append("""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>KwaaiNet network map</title>
            <style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem}</style>
            </head><body><h1>KwaaiNet network map</h1>
            """);
        html.Append(c, $"<p>Updated {E(document.LastUpdated.ToString("u", c))}.</p>");
        var rows = document.ModelReports.SelectMany(static m => m.ServerRows.Select(r => (Model: m.Name, Row: r))).ToList();
        if (rows.Count == 0)
        {
            html.Append("<p id=\"servers\">No servers known yet.</p>");
        }
        else
        {
            html.Append("<table id=\"servers\"><tr><th>Peer</th><th>Name</th><th>Model</th><th>Blocks</th><th>State</th><th>Throughput</th></tr>");
            foreach (var (model, s) in rows)
            {
                var info = s.Span.ServerInfo;
                html.Append(c, $"<tr><td>{E(s.PeerId)}</td><td>{E(info.PublicName ?? string.Empty)}</td><td>{E(model)}</td><td>{s.Span.Start}–{s.Span.End}</td><td>{E(s.State)}</td><td>{info.Throughput:0.##}</td></tr>");
            }

            html.Append("</table>");
        }

        html.Append("<h2>Energy</h2>");
        html.Append(document.Carbon switch
        {
            null => "<p id=\"carbon\">No carbon sample received yet.</p>",
            { Measured: false } s => $"<p id=\"carbon\">Unmeasured: {E(s.Reason ?? "no energy source")}.</p>",
            var s => string.Format(c, "<p id=\"carbon\">{0:0.###} J from {1}, {2:0.##} W average (at {3}).</p>", s.EnergyJoules, E(s.Source), s.AveragePowerWatts, E(s.RecordedAt.ToString("u", c))),
        });
        html.Append("</body></html>");
        return html.ToString();
    }

    private static string E(string value) => WebUtility.HtmlEncode(value);
}
