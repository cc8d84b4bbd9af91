// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Yarp.ReverseProxy.Configuration;

namespace KwaaiNet.Libp2p.Hosting;

/// <summary>The p2p-gateway module: the node's libp2p identity, its internal gRPC API and the public HTTP front.</summary>
public static class GatewayHostingExtensions
{
    /// <summary>The Kestrel endpoint name of the public HTTP port (8081 in Kubernetes).</summary>
    public const string PublicEndpointName = "public";

    /// <summary>The Aspire connection string name of the Redis resource, where worker pools register.</summary>
    public const string RedisConnectionName = "redis";

    /// <summary>Registers the gateway's options, identity, gRPC service and reverse proxy.</summary>
    public static IHostApplicationBuilder AddP2PGateway(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddNodeOptions();
        builder.Services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        var hasRedis = AddPoolRegistry(builder);
        builder.Services.AddSingleton<IValidateOptions<GatewayOptions>>(new InboundRoutesValidator(hasRedis));
        builder.Services.AddSingleton<NodeIdentityProvider>();
        builder.Services.AddHostedService<NodeIdentityStartup>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHttpClient();
        builder.Services.AddSingleton<InboundRouter>();
        builder.Services.AddSingleton<Libp2pNode>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<Libp2pNode>());
        builder.Services.AddSingleton<ILocalLibp2pNode>(static sp => sp.GetRequiredService<Libp2pNode>());
        builder.Services.AddGrpc();

        // The routes come from the validated options, so a bad address fails start with the validator's message.
        builder.Services.AddReverseProxy().AddServiceDiscoveryDestinationResolver();
        builder.Services.AddSingleton<IProxyConfigProvider>(static sp =>
        {
            var gateway = sp.GetRequiredService<IOptions<GatewayOptions>>().Value;
            return new InMemoryConfigProvider(PublicRoutes.Routes(gateway), PublicRoutes.Clusters(gateway));
        });

        // Tag connections on the public listener. This re-reads the same "Kestrel" section the host already
        // loads; the last loader wins, and it is the one that knows our endpoint by name.
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IConfiguration>(static (kestrel, configuration) =>
            kestrel.Configure(configuration.GetSection("Kestrel"), reloadOnChange: false)
                .Endpoint(PublicEndpointName, static endpoint => endpoint.ListenOptions.Use(static next => connection =>
                {
                    connection.Items[typeof(PublicListenerFeature)] = PublicListenerFeature.Instance;
                    return next(connection);
                })));
        return builder;
    }

    /// <summary>
    /// Inbound routes to a worker pool (<c>pool://</c>) read the pool's workers from Redis: registers the Redis client
    /// when such a route is configured and <c>ConnectionStrings:redis</c> is set (unless another module of the host
    /// did). True when the host has Redis.
    /// </summary>
    private static bool AddPoolRegistry(IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(static d => d.ServiceType == typeof(IConnectionMultiplexer)))
        {
            return true;
        }

        var wantsPool = builder.Configuration.GetSection(GatewayOptions.SectionName + ":Inbound").GetChildren()
            .Any(static route => route["Address"]?.StartsWith(InboundRoute.PoolScheme + "://", StringComparison.OrdinalIgnoreCase) == true);
        if (!wantsPool || string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(RedisConnectionName)))
        {
            return false;
        }

        // Registers the multiplexer, its health check (a Redis outage shows on /health) and tracing.
        builder.AddRedisClient(RedisConnectionName);
        return true;
    }

    /// <summary>Maps the gRPC API and the public front. Call after <c>MapDefaultEndpoints()</c>.</summary>
    public static WebApplication MapP2PGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<PublicFrontMiddleware>();
        app.MapGrpcService<GatewayGrpcService>();
        app.MapReverseProxy(static proxy => proxy.Use(ReportUnreachableBackendAsync))
            .WithMetadata(PublicEndpointMetadata.Instance);
        return app;
    }

    /// <summary>
    /// YARP answers a failed forward with a bare 502. A public client gets a 503 that says which backend is down
    /// and that retrying later is reasonable, and the operator gets a log line with YARP's reason.
    /// </summary>
    private static async Task ReportUnreachableBackendAsync(HttpContext context, Func<Task> next)
    {
        await next();
        var error = context.GetForwarderErrorFeature();
        if (error is null || context.Response.HasStarted)
        {
            return;
        }

        var backend = context.GetReverseProxyFeature().Route.Config.ClusterId ?? "backend";
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GatewayHostingExtensions))
            .BackendUnavailable(context.Request.Path, backend, error.Error.ToString());
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "5";
        await context.Response.WriteAsJsonAsync(
            new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Backend unavailable",
                Detail = $"The node's {backend} service did not answer ({error.Error}). Try again shortly.",
            },
            options: null,
            contentType: "application/problem+json",
            cancellationToken: context.RequestAborted);
    }
}
