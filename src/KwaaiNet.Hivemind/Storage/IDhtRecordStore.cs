// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Hivemind.Storage;

/// <summary>
/// Where DHT records live: Redis in the split deployment (a restart loses nothing), memory in the embedded node.
/// Follows hivemind's <c>DHTLocalStorage</c> rule: a value replaces the stored one only when it expires later.
/// </summary>
public interface IDhtRecordStore
{
    /// <summary>Stores <paramref name="record"/> under <paramref name="key"/>; false when a later-expiring value is already there, or it has expired.</summary>
    ValueTask<bool> StoreAsync(ReadOnlyMemory<byte> key, DhtRecord record, CancellationToken cancellationToken);

    /// <summary>The unexpired values under <paramref name="key"/>, one per subkey; empty when none.</summary>
    ValueTask<IReadOnlyList<DhtRecord>> GetAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken);
}
