// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace KwaaiNet.Petals.Map;

/// <summary>The <c>/map</c> route: the page, or with <c>?fragment=1</c> only its <c>&lt;main&gt;</c> content.</summary>
public static class MapPageEndpoint
{
    /// <summary>The page's path.</summary>
    public const string Path = "/map";

    private const string HtmlContentType = "text/html; charset=utf-8";

    /// <summary>
    /// Maps <c>GET /map</c>, rendering the document that <paramref name="document"/> returns for each request.
    /// <c>?fragment=1</c> answers only the <c>&lt;main&gt;</c> content (the live refresh's request);
    /// <c>?refresh=N</c> sets the live-refresh period in seconds (clamped to
    /// <see cref="MapPage.MinRefreshSeconds"/>..<see cref="MapPage.MaxRefreshSeconds"/>; default: the document's
    /// <c>update_period</c>). Bad query values are ignored.
    /// </summary>
    public static RouteHandlerBuilder MapMapPage(this IEndpointRouteBuilder endpoints, Func<IServiceProvider, MapStateDocument> document)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(document);
        return endpoints.MapGet(Path, (HttpContext context) =>
        {
            var state = document(context.RequestServices);
            var query = context.Request.Query;
            context.Response.Headers.CacheControl = "no-store";
            if (query["fragment"] == "1")
            {
                return Results.Content(MapPage.RenderMain(state), HtmlContentType);
            }

            TimeSpan? refresh = int.TryParse(query["refresh"], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                ? TimeSpan.FromSeconds(seconds)
                : null;
            return Results.Content(MapPage.Render(state, refresh), HtmlContentType);
        });
    }
}
