// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Kwaai;

/// <summary>Registers the <c>/kwaai/inference/1.0.0</c> server beside the inference-worker module.</summary>
public static class KwaaiInferenceHostingExtensions
{
    /// <summary>
    /// Registers <see cref="KwaaiInferenceHandler"/> over the worker's <c>IServedSpanProvider</c> (so AddInferenceWorker
    /// must be called too), its settings (<c>KwaaiNet:KwaaiInference</c>), and its registration on the in-process libp2p
    /// node when the p2p-gateway runs in this process. A worker in its own process serves the protocol through the
    /// gateway's inbound route: its <c>InboundHandler.HandleUnary</c> hands the call to
    /// <see cref="KwaaiInferenceHandler.HandleAsync"/>. <c>AddPetalsServer</c> calls it; calling it again adds nothing.
    /// </summary>
    public static IHostApplicationBuilder AddKwaaiInferenceServer(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<KwaaiInferenceOptions>().BindConfiguration(KwaaiInferenceOptions.SectionName).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KwaaiInferenceOptions>, KwaaiInferenceOptionsValidator>());
        builder.Services.TryAddSingleton<KwaaiInferenceHandler>();
        // Once however often it is called (AddPetalsServer calls it too): the protocol takes one handler.
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, KwaaiInferenceRegistration>());
        return builder;
    }
}
