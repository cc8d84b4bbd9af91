// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Hosting;
using KwaaiNet.Hivemind.Hosting;
using KwaaiNet.Petals.Announcing;
using KwaaiNet.Petals.Map;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Hosting;

/// <summary>The map-announcer module.</summary>
public static class MapAnnouncerHostingExtensions
{
    /// <summary>How often the map is rebuilt; the crawler (issue #6) uses it, the state document reports it.</summary>
    internal static readonly TimeSpan UpdatePeriod = TimeSpan.FromSeconds(60);

    /// <summary>Registers the network map, the carbon-sample consumer and the gRPC API.</summary>
    public static IHostApplicationBuilder AddMapAnnouncer(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddNodeOptions();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<NetworkMap>();
        builder.Services.AddGrpc();
        builder.AddDhtClient();
        builder.Services.AddOptions<AnnouncerOptions>().BindConfiguration(AnnouncerOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AnnouncerOptions>, AnnouncerOptionsValidator>();
        builder.Services.AddSingleton<WorkerSpans>();
        builder.Services.AddSingleton<AnnouncedFigures>();
        builder.Services.AddSingleton<NodeAnnouncer>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<NodeAnnouncer>());
        builder.AddMessageBus(static bus =>
        {
            bus.AddConsumer<CarbonSampleRecordedConsumer>();
            bus.AddConsumer<WorkerSpanStatusConsumer>();
        });
        return builder;
    }

    /// <summary>Maps the gRPC API and the public <c>/map</c> page and <c>/api/v1/state</c> JSON.</summary>
    public static WebApplication MapMapAnnouncer(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGrpcService<MapAnnouncerGrpcService>();
        app.MapGet("/map", static (NetworkMap map) => Results.Content(MapPage.Render(map.Snapshot), "text/html; charset=utf-8"))
            .WithMetadata(PublicEndpointMetadata.Instance);
        app.MapGet("/api/v1/state", static (NetworkMap map) => Results.Json(MapStateDocument.From(map.Snapshot, UpdatePeriod)))
            .WithMetadata(PublicEndpointMetadata.Instance);
        return app;
    }
}
