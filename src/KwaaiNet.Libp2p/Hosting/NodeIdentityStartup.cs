// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Node;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Libp2p.Hosting;

/// <summary>Loads the identity while the host starts, so a bad key file stops the gateway at once with its reason.</summary>
internal sealed class NodeIdentityStartup(
    NodeIdentityProvider identity,
    IOptions<NodeOptions> options,
    ILogger<NodeIdentityStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = identity.Identity;
        logger.BootstrapPeersConfigured(options.Value.InitialPeers.Count);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
