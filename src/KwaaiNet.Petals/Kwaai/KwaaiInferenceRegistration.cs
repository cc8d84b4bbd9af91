// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Petals.Kwaai;

/// <summary>
/// Puts <see cref="KwaaiInferenceHandler"/> on the in-process libp2p node when the p2p-gateway runs in this process (the
/// embedded node); a worker in its own process is reached through the gateway's inbound route instead.
/// </summary>
internal sealed class KwaaiInferenceRegistration(
    KwaaiInferenceHandler handler, IServiceProvider services, ILogger<KwaaiInferenceRegistration> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (services.GetService(typeof(ILocalLibp2pNode)) is ILocalLibp2pNode node)
        {
            node.Unary.AddHandler(KwaaiInferenceCodec.Protocol, handler.HandleAsync);
            logger.KwaaiInferenceRegistered(KwaaiInferenceCodec.Protocol);
        }
        else
        {
            logger.KwaaiInferenceNotRegistered(KwaaiInferenceCodec.Protocol);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
