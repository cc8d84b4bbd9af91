// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KwaaiNet.Contracts.Hosting;

/// <summary>
/// The node's message bus: MassTransit over RabbitMQ when the Aspire connection string <c>messaging</c> is set,
/// else MassTransit's in-memory transport (the embedded single-process node, and unit tests).
/// </summary>
public static class MessageBusHostingExtensions
{
    /// <summary>The Aspire connection string name of the RabbitMQ resource.</summary>
    public const string ConnectionName = "messaging";

    private static readonly object PropertyKey = new();

    /// <summary>
    /// Adds the bus once and registers this module's consumers on it. Modules call this from their <c>AddXxx()</c>;
    /// the embedded node composes several modules, so the bus must be shared rather than added per module.
    /// </summary>
    public static IHostApplicationBuilder AddMessageBus(
        this IHostApplicationBuilder builder,
        Action<IBusRegistrationConfigurator>? configureConsumers = null)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // MassTransit writes consumer registrations into the service collection, and the bus reads them from the
        // container when it starts; so a module added after the first one registers its consumers through the
        // configurator kept here instead of calling AddMassTransit a second time (which MassTransit refuses).
        if (builder.Properties.TryGetValue(PropertyKey, out var existing) && existing is IBusRegistrationConfigurator registered)
        {
            configureConsumers?.Invoke(registered);
            return builder;
        }

        var connectionString = builder.Configuration.GetConnectionString(ConnectionName);
        builder.Services.AddMassTransit(bus =>
        {
            builder.Properties[PropertyKey] = bus;
            bus.SetKebabCaseEndpointNameFormatter();
            configureConsumers?.Invoke(bus);

            if (string.IsNullOrWhiteSpace(connectionString))
            {
                bus.UsingInMemory(static (context, cfg) => cfg.ConfigureEndpoints(context));
            }
            else
            {
                var host = new Uri(connectionString);
                bus.UsingRabbitMq((context, cfg) =>
                {
                    cfg.Host(host);
                    cfg.ConfigureEndpoints(context);
                });
            }
        });

        // The service starts even while RabbitMQ is down: the bus keeps retrying in the background and its health
        // check ("masstransit-bus") reports the failure on /health, instead of blocking start-up until a timeout.
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(static o =>
        {
            o.WaitUntilStarted = false;
            o.StopTimeout = TimeSpan.FromSeconds(10);
        });
        return builder;
    }
}
