// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Scaling;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace KwaaiNet.Inference.Hosting;

/// <summary>The worker's registration in its pool, so that the p2p-gateway routes each session to the replica that holds it.</summary>
public static class WorkerRegistryHostingExtensions
{
    /// <summary>The Aspire connection string name of the Redis resource.</summary>
    public const string RedisConnectionName = "redis";

    /// <summary>
    /// When <c>ConnectionStrings:redis</c> is set, registers this worker in its pool
    /// (<see cref="InferenceOptions.Registry"/>): its direct gRPC endpoint and open sessions, refreshed while it runs and
    /// removed at shutdown. Without Redis (the embedded node) it registers nothing. The session count comes from the
    /// registered <see cref="IWorkerSessionCount"/>, by default the served span's sessions.
    /// </summary>
    public static IHostApplicationBuilder AddWorkerRegistry(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(RedisConnectionName)))
        {
            return builder;
        }

        builder.Services.AddOptions<InferenceOptions>().BindConfiguration(InferenceOptions.SectionName).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InferenceOptions>, InferenceOptionsValidator>());
        builder.Services.TryAddSingleton(TimeProvider.System);
        if (!builder.Services.Any(static d => d.ServiceType == typeof(IConnectionMultiplexer)))
        {
            // Registers the multiplexer, its health check and tracing (another module of the host may have already).
            builder.AddRedisClient(RedisConnectionName);
        }

        builder.Services.TryAddSingleton<IWorkerSessionCount, ServedSpanSessionCount>();
        builder.Services.AddSingleton(static sp => new WorkerRegistry(
            sp.GetRequiredService<IConnectionMultiplexer>(),
            sp.GetRequiredService<IOptions<InferenceOptions>>().Value.Registry.Pool));
        builder.Services.AddSingleton<WorkerRegistryPublisher>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<WorkerRegistryPublisher>());
        return builder;
    }
}
