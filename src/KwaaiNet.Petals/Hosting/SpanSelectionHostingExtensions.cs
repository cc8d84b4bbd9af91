// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Hosting;
using KwaaiNet.Inference;
using KwaaiNet.Petals.Selection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KwaaiNet.Petals.Hosting;

/// <summary>Model and span selection, part of the map-announcer module.</summary>
internal static class SpanSelectionHostingExtensions
{
    /// <summary>
    /// Registers the local model catalog (reading the worker's <c>KwaaiNet:Inference</c> model places), the span
    /// selection service and its consumer of the workers' <see cref="Contracts.Messages.WorkerSpanStatus"/>.
    /// </summary>
    public static IHostApplicationBuilder AddSpanSelection(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<InferenceOptions>().BindConfiguration(InferenceOptions.SectionName);
        builder.Services.AddSingleton<LocalModelCatalog>();
        builder.Services.AddSingleton<SpanSelectionService>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<SpanSelectionService>());
        builder.AddMessageBus(static bus => bus.AddConsumer<WorkerSpanStatusSelectionConsumer>());
        return builder;
    }
}
