// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Carbon.Energy;
using KwaaiNet.Contracts.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Carbon.Hosting;

/// <summary>The carbon-tracker module.</summary>
public static class CarbonHostingExtensions
{
    /// <summary>Registers the energy meter, the periodic sample publisher and the gRPC API.</summary>
    public static IHostApplicationBuilder AddCarbonTracker(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddNodeOptions();
        builder.Services.AddOptions<CarbonOptions>().BindConfiguration(CarbonOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<CarbonOptions>, CarbonOptionsValidator>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IEnergyMeter>(static sp =>
            new RaplEnergyMeter(sp.GetRequiredService<IOptions<CarbonOptions>>().Value.Rapl, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddHostedService<CarbonSamplePublisher>();
        builder.Services.AddGrpc();
        builder.AddMessageBus();
        return builder;
    }

    /// <summary>Maps the carbon-tracker gRPC API.</summary>
    public static WebApplication MapCarbonTracker(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGrpcService<CarbonGrpcService>();
        return app;
    }
}
