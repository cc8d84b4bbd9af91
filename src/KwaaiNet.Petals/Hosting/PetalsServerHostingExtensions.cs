// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Petals.Kwaai;
using KwaaiNet.Petals.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Hosting;

/// <summary>Registers the network's inference protocols over the inference-worker's session core.</summary>
public static class PetalsServerHostingExtensions
{
    /// <summary>
    /// Registers the network's inference protocols: Petals' <see cref="TransformerConnectionHandler"/> with its options
    /// (<c>KwaaiNet:Petals:Server</c>), and KwaaiNet's <c>/kwaai/inference/1.0.0</c>
    /// (<see cref="KwaaiInferenceHostingExtensions.AddKwaaiInferenceServer"/>). Needs the inference-worker module
    /// (<c>AddInferenceWorker</c>), which provides the served span.
    /// </summary>
    public static IHostApplicationBuilder AddPetalsServer(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<PetalsServerOptions>().BindConfiguration(PetalsServerOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<PetalsServerOptions>, PetalsServerOptionsValidator>();
        builder.Services.AddSingleton<TransformerConnectionHandler>();
        builder.Services.AddGrpc();
        builder.AddKwaaiInferenceServer();
        return builder;
    }

    /// <summary>
    /// Serves the handlers: on the in-process libp2p node when this process runs the p2p-gateway (the embedded node),
    /// otherwise as the gRPC <c>InboundHandler</c> the gateway routes <c>TransformerConnectionHandler.*</c> and
    /// <c>/kwaai/inference/1.0.0</c> to. (The in-process registration of <c>/kwaai/inference/1.0.0</c> is
    /// <see cref="AddPetalsServer"/>'s hosted service.)
    /// </summary>
    public static WebApplication MapPetalsServer(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var handler = app.Services.GetRequiredService<TransformerConnectionHandler>();
        var logger = app.Services.GetRequiredService<ILogger<TransformerConnectionHandler>>();
        if (app.Services.GetService<ILocalLibp2pNode>() is { } local)
        {
            foreach (var protocol in PetalsProtocols.Unary)
            {
                local.Unary.AddHandler(protocol, (request, ct) => handler.HandleUnaryAsync(request.Protocol, request.Data, ct));
            }

            foreach (var protocol in PetalsProtocols.Streams)
            {
                local.Host.Protocols.Add(protocol, async (stream, ct) =>
                {
                    await handler.HandleStreamAsync(stream.Protocol, stream.Stream, ct).ConfigureAwait(false);
                    await stream.CompleteWritesAsync().ConfigureAwait(false);
                });
            }

            logger.PetalsHandlersRegistered("on the in-process libp2p node");
        }
        else
        {
            app.MapGrpcService<PetalsInboundService>();
            logger.PetalsHandlersRegistered("as the gRPC InboundHandler the p2p-gateway routes to");
        }

        return app;
    }
}
