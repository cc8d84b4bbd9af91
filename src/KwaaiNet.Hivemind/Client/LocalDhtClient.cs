// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Hosting;
using KwaaiNet.Hivemind.Node;
using KwaaiNet.Hivemind.Protocol;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Values;
using StackExchange.Redis;

namespace KwaaiNet.Hivemind.Client;

/// <summary>The DHT node of this process (the embedded node, or the dht service itself).</summary>
internal sealed class LocalDhtClient(DhtRuntime runtime) : IDhtClient
{
    public Task<IReadOnlyList<DhtStoreOutcome>> StoreAsync(IReadOnlyList<DhtStoreItem> items, CancellationToken cancellationToken) =>
        WithNodeAsync(node => node.StoreManyAsync(items, cancellationToken));

    public Task<DhtItem?> GetAsync(DhtId key, bool latest, CancellationToken cancellationToken) =>
        WithNodeAsync(node => node.GetAsync(key, latest, cancellationToken));

    private async Task<T> WithNodeAsync<T>(Func<DhtNode, Task<T>> operation)
    {
        var node = runtime.Node ?? throw new DhtUnavailableException("the DHT node is starting");
        try
        {
            return await operation(node).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new DhtUnavailableException($"DHT storage (Redis) is unavailable: {ex.Message}", ex);
        }
    }
}
