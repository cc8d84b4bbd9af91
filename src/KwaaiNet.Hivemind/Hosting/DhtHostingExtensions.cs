// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Hosting;
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

    /// <summary>The Redis key scope of this module's records until the node's peer id scopes them.</summary>
    private const string RedisKeyScope = "dht";

    /// <summary>Registers the record store (Redis when <c>ConnectionStrings:redis</c> is set, else memory) and the gRPC API.</summary>
    public static IHostApplicationBuilder AddDht(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddNodeOptions();
        builder.Services.AddOptions<DhtOptions>().BindConfiguration(DhtOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<DhtOptions>, DhtOptionsValidator>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddGrpc();

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
                RedisKeyScope));
            builder.Services.AddHostedService(static sp => new StorageAnnouncement(sp.GetRequiredService<ILogger<StorageAnnouncement>>(), "Redis"));
        }

        return builder;
    }

    /// <summary>Maps the dht gRPC API.</summary>
    public static WebApplication MapDht(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGrpcService<DhtGrpcService>();
        return app;
    }
}
