// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Petals.Map;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Map.BrowserTests;

/// <summary>
/// The <c>/map</c> route on a real Kestrel socket (127.0.0.1, port 0), since a browser cannot reach the in-process
/// test server. The page renders <see cref="Document"/>, which a test replaces to see the live refresh pick it up.
/// </summary>
internal sealed class MapPageServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private volatile MapStateDocument _document;

    private MapPageServer(WebApplication app, MapStateDocument document)
    {
        _app = app;
        _document = document;
    }

    /// <summary>The document the page shows from the next request on.</summary>
    public MapStateDocument Document
    {
        get => _document;
        set => _document = value;
    }

    /// <summary>The server's address, e.g. <c>http://127.0.0.1:40123</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public static async Task<MapPageServer> StartAsync(MapStateDocument document, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new MapPageServer(app, document);
        app.MapMapPage(_ => server.Document);
        await app.StartAsync(cancellationToken);
        var address = app.Urls.Single();
        server.BaseAddress = new Uri(address);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
