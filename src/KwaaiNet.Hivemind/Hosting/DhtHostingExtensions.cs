// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Grpc.Net.Client;
using KwaaiNet.Contracts.Dht.V1;
using KwaaiNet.Contracts.Gateway.V1;
using KwaaiNet.Contracts.Hosting;
using KwaaiNet.Hivemind.Client;
using KwaaiNet.Hivemind.Protocol;
using KwaaiNet.Hivemind.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace KwaaiNet.Hivemind.Hosting;

/// <summary>The dht module.</summary>
public static class DhtHostingExtensions
{
    /// <summary>The Aspire connection string name of the Redis resource.</summary>
    public const string RedisConnectionName = "redis";

    /// <summary>
    /// Registers the DHT node: its records (Redis when <c>ConnectionStrings:redis</c> is set, else memory), the node and
    /// its maintenance, and the gRPC API. When the p2p-gateway runs in the same process (the embedded node) the node
    /// serves and calls through it directly; otherwise it calls through the gateway's gRPC API and serves the calls the
    /// gateway routes to its <c>InboundHandler</c>.
    /// </summary>
    public static IHostApplicationBuilder AddDht(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddNodeOptions();
        builder.Services.AddOptions<DhtOptions>().BindConfiguration(DhtOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<DhtOptions>, DhtOptionsValidator>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddGrpc();
        builder.Services.AddHttpClient();

        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(RedisConnectionName)))
        {
            builder.Services.AddSingleton<IDhtLocalStore, InMemoryDhtLocalStore>();
            builder.Services.AddHostedService(static sp => new StorageAnnouncement(sp.GetRequiredService<ILogger<StorageAnnouncement>>(), "process memory (no Redis configured: records are lost on restart)"));
        }
        else
        {
            // Registers the multiplexer, its health check (so a Redis outage shows on /health) and tracing.
            builder.AddRedisClient(RedisConnectionName);
            builder.Services.AddSingleton<IDhtLocalStore>(static sp => new RedisDhtLocalStore(
                sp.GetRequiredService<IConnectionMultiplexer>(),
                sp.GetRequiredService<IOptions<DhtOptions>>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<IOptions<DhtOptions>>().Value.KeyScope));
            builder.Services.AddHostedService(static sp => new StorageAnnouncement(sp.GetRequiredService<ILogger<StorageAnnouncement>>(), "Redis"));
        }

        // The gateway client, for a dht service in its own process (service discovery resolves the address).
        builder.Services.AddSingleton(static sp =>
        {
            var options = sp.GetRequiredService<IOptions<DhtOptions>>().Value;
            var channel = GrpcChannel.ForAddress(options.Gateway, new GrpcChannelOptions
            {
                HttpHandler = sp.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler("dht-gateway"),
                DisposeHttpClient = true,
            });
            return new GatewayDhtTransport(new Gateway.GatewayClient(channel));
        });

        builder.Services.AddSingleton<DhtRuntime>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<DhtRuntime>());

        // Other modules in this process use this node directly; registered last-wins over AddDhtClient's gRPC client.
        builder.Services.AddSingleton<IDhtClient, LocalDhtClient>();
        return builder;
    }

    /// <summary>
    /// Registers <see cref="IDhtClient"/> for a module that stores and reads DHT records: the dht module's node when it
    /// runs in this process (AddDht, before or after), else the dht service's gRPC API at <c>KwaaiNet:Dht:Service</c>
    /// (default <c>http://_grpc.dht</c>, resolved by service discovery).
    /// </summary>
    public static IHostApplicationBuilder AddDhtClient(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHttpClient();
        var address = new Uri(builder.Configuration[$"{DhtOptions.SectionName}:Service"] ?? "http://_grpc.dht");
        builder.Services.TryAddSingleton<IDhtClient>(sp => new GrpcDhtClient(new Dht.DhtClient(GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = sp.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler("dht-client"),
            DisposeHttpClient = true,
        }))));
        return builder;
    }

    /// <summary>Maps the dht gRPC API and its inbound handler.</summary>
    public static WebApplication MapDht(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGrpcService<DhtGrpcService>();

        // With the gateway in this process the handlers sit on its libp2p node; only a standalone service needs the
        // inbound route from the gateway.
        if (app.Services.GetService<Libp2p.Hosting.ILocalLibp2pNode>() is null)
        {
            app.MapGrpcService<DhtInboundService>();
        }

        return app;
    }
}
