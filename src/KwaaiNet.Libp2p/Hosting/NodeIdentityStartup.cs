// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Hosting;

namespace KwaaiNet.Libp2p.Hosting;

/// <summary>Loads the identity while the host starts, so a bad key file stops the gateway at once with its reason.</summary>
internal sealed class NodeIdentityStartup(NodeIdentityProvider identity) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = identity.Identity;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
