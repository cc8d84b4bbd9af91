// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Hosting;
using KwaaiNet.Hivemind.Client;
using KwaaiNet.Hivemind.Hosting;
using KwaaiNet.Petals.Announcing;
using KwaaiNet.Petals.Gateway;
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
    /// <summary>
    /// Registers the network map and its crawler (<c>KwaaiNet:Map</c>; the DHT is read through <see cref="IDhtClient"/>),
    /// the carbon-sample consumer and the gRPC API.
    /// </summary>
    public static IHostApplicationBuilder AddMapAnnouncer(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddNodeOptions();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<MapOptions>().BindConfiguration(MapOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<MapOptions>, MapOptionsValidator>();
        builder.AddDhtClient();
        builder.Services.AddSingleton<NetworkMap>();
        builder.Services.AddSingleton<MapCrawler>();
        builder.Services.TryAddSingleton<IBootstrapStates, NodeBootstrapStates>();
        builder.Services.AddSingleton<MapCrawlerService>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<MapCrawlerService>());
        builder.Services.AddGrpc();
        builder.AddNodeGateway();
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
        builder.AddSpanSelection();
        return builder;
    }

    /// <summary>Maps the gRPC API and the public <c>/map</c> page and <c>/api/v1/state</c> JSON.</summary>
    public static WebApplication MapMapAnnouncer(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGrpcService<MapAnnouncerGrpcService>();
        app.MapMapPage(static services => services.GetRequiredService<NetworkMap>().Snapshot.ToStateDocument())
            .WithMetadata(PublicEndpointMetadata.Instance);
        app.MapGet("/api/v1/state", static (NetworkMap map) => Results.Json(map.Snapshot.ToStateDocument()))
            .WithMetadata(PublicEndpointMetadata.Instance);
        return app;
    }
}
