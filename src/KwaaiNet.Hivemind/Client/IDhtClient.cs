// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Node;
using KwaaiNet.Hivemind.Protocol;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Values;

namespace KwaaiNet.Hivemind.Client;

/// <summary>
/// The node's DHT as other modules use it: store records and read keys. In the embedded node this is the in-process
/// DHT node (<see cref="LocalDhtClient"/>); a service in its own process calls the dht service's gRPC API
/// (<see cref="GrpcDhtClient"/>). Both throw <see cref="DhtUnavailableException"/> when the DHT cannot answer now.
/// </summary>
public interface IDhtClient
{
    /// <summary>
    /// Stores <paramref name="items"/> on the nearest nodes and every bootstrap; one outcome per item, in order.
    /// </summary>
    Task<IReadOnlyList<DhtStoreOutcome>> StoreAsync(IReadOnlyList<DhtStoreItem> items, CancellationToken cancellationToken);

    /// <summary>
    /// The value of <paramref name="key"/> in the network, null when nobody holds it. With <paramref name="latest"/> the
    /// whole beam is searched for the latest value instead of stopping at the first unexpired one.
    /// </summary>
    Task<DhtItem?> GetAsync(DhtId key, bool latest, CancellationToken cancellationToken);
}
