// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Values;

namespace KwaaiNet.Hivemind.Storage;

/// <summary>
/// The two tiers of a node's local records (hivemind's <c>DHTProtocol.storage</c> and <c>.cache</c>): values this node
/// keeps until they expire, and values it caches after lookups (a <c>StoreRequest</c> item with <c>in_cache</c>).
/// </summary>
public enum DhtTier
{
    /// <summary>Kept until expiration.</summary>
    Storage,

    /// <summary>A bounded cache of values found elsewhere; may be evicted early.</summary>
    Cache,
}

/// <summary>
/// A node's local records with hivemind's rules (<c>hivemind/dht/storage.py::DHTLocalStorage</c> over
/// <c>hivemind/utils/timed_storage.py::TimedStorage</c>), per tier:
/// <list type="bullet">
/// <item>a store whose expiration is before now is rejected; a value replaces another only when its expiration is
/// strictly later (a store never deletes, it only supersedes);</item>
/// <item>a subkey store on a key that holds a regular value with an earlier expiration (or nothing) turns the key into a
/// dictionary with that one subkey; on a dictionary it adds or supersedes that subkey (each subkey has its own
/// expiration); on a regular value that expires no earlier, it is rejected;</item>
/// <item>a regular store on a key holding a dictionary replaces the whole dictionary when it expires strictly later
/// than the dictionary's latest entry;</item>
/// <item>expired values and entries are never returned, and are purged.</item>
/// </list>
/// Implementations: Redis (the dht service; a restart loses nothing) and process memory (the embedded node, tests).
/// </summary>
public interface IDhtLocalStore
{
    /// <summary>Stores a regular value; false when rejected (expired, or a value expiring no earlier is there).</summary>
    ValueTask<bool> StoreAsync(DhtTier tier, DhtId key, ReadOnlyMemory<byte> value, double expirationTime, CancellationToken cancellationToken);

    /// <summary>
    /// Stores one dictionary entry; <paramref name="subkey"/> is the msgpack encoding of the subkey. False when rejected.
    /// </summary>
    ValueTask<bool> StoreSubkeyAsync(DhtTier tier, DhtId key, ReadOnlyMemory<byte> subkey, ReadOnlyMemory<byte> value, double expirationTime, CancellationToken cancellationToken);

    /// <summary>The live value under <paramref name="key"/>, or null.</summary>
    ValueTask<DhtItem?> GetAsync(DhtTier tier, DhtId key, CancellationToken cancellationToken);

    /// <summary>Every live key and value of a tier (for handing records to a newly met node that should hold them).</summary>
    IAsyncEnumerable<(DhtId Key, DhtItem Item)> ItemsAsync(DhtTier tier, CancellationToken cancellationToken);

    /// <summary>Removes expired values and entries from both tiers; returns how many were removed.</summary>
    ValueTask<int> PurgeExpiredAsync(CancellationToken cancellationToken);
}
