// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Hivemind.Hosting;

/// <summary>Says once at start where DHT records are kept, so an operator sees when they are not persistent.</summary>
internal sealed class StorageAnnouncement(ILogger<StorageAnnouncement> logger, string storage) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        logger.StorageSelected(storage);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
