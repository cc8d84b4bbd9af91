// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Values;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Hivemind.Storage;

/// <summary>
/// A node's records in process memory (the embedded node, tests): lost on restart, which the node logs at start.
/// A value is live while its expiration is not before now (hivemind drops only <c>expiration_time &lt; now</c>).
/// The storage tier refuses new keys beyond <see cref="DhtOptions.MaxKeys"/>; the cache tier evicts its
/// earliest-expiring keys beyond <see cref="DhtOptions.CacheMaxKeys"/>; a key holds at most
/// <see cref="DhtOptions.MaxSubkeysPerKey"/> subkeys. A store whose value or subkey is over the configured size, or
/// whose expiration is NaN, is rejected (false).
/// </summary>
public sealed class InMemoryDhtLocalStore : IDhtLocalStore
{
    private readonly DhtStoreLimits _limits;
    private readonly TimeProvider _timeProvider;
    private readonly Tier _storage = new();
    private readonly Tier _cache = new();
    private readonly Lock _lock = new();

    /// <summary>Creates an empty store.</summary>
    public InMemoryDhtLocalStore(IOptions<DhtOptions> options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _limits = new DhtStoreLimits(options.Value);
        _timeProvider = timeProvider;
    }

    /// <inheritdoc/>
    public ValueTask<bool> StoreAsync(DhtTier tier, DhtId key, ReadOnlyMemory<byte> value, double expirationTime, CancellationToken cancellationToken)
    {
        var now = DhtTime.Now(_timeProvider);
        if (!_limits.Admits(value.Length, expirationTime, now))
        {
            return ValueTask.FromResult(false);
        }

        lock (_lock)
        {
            var slots = TierOf(tier);
            slots.RemoveExpired(now);
            if (slots.TryGet(key, out var slot))
            {
                // A regular store supersedes whatever is there (a dictionary included) only when strictly later than
                // its expiration (a dictionary's is its latest entry's): TimedStorage.store's `<` comparison.
                if (expirationTime <= slot.Expiration)
                {
                    return ValueTask.FromResult(false);
                }

                slots.Set(key, Slot.Regular(value.ToArray(), expirationTime));
                return ValueTask.FromResult(true);
            }

            return ValueTask.FromResult(AddKey(tier, slots, key, Slot.Regular(value.ToArray(), expirationTime)));
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> StoreSubkeyAsync(DhtTier tier, DhtId key, ReadOnlyMemory<byte> subkey, ReadOnlyMemory<byte> value, double expirationTime, CancellationToken cancellationToken)
    {
        var now = DhtTime.Now(_timeProvider);
        if (!_limits.AdmitsSubkey(subkey) || !_limits.Admits(value.Length, expirationTime, now))
        {
            return ValueTask.FromResult(false);
        }

        lock (_lock)
        {
            var slots = TierOf(tier);
            slots.RemoveExpired(now);
            var subkeyBytes = subkey.ToArray();
            var entry = new DhtDictionaryEntry(subkeyBytes, value.ToArray(), expirationTime);
            if (!slots.TryGet(key, out var slot))
            {
                return ValueTask.FromResult(AddKey(tier, slots, key, Slot.Dictionary(subkeyBytes, entry)));
            }

            if (slot.Entries is null)
            {
                // hivemind/dht/storage.py::store_subkey: a regular value expiring strictly earlier becomes a
                // dictionary holding only the new entry; one expiring no earlier wins.
                if (expirationTime <= slot.Expiration)
                {
                    return ValueTask.FromResult(false);
                }

                slots.Set(key, Slot.Dictionary(subkeyBytes, entry));
                return ValueTask.FromResult(true);
            }

            if (slot.Entries.TryGetValue(subkeyBytes, out var current))
            {
                if (expirationTime <= current.ExpirationTime)
                {
                    return ValueTask.FromResult(false);
                }
            }
            else if (slot.Entries.Count >= _limits.MaxSubkeysPerKey && slot.RemoveExpiredEntries(now) == 0)
            {
                return ValueTask.FromResult(false);
            }

            slot.Entries[subkeyBytes] = entry;
            if (expirationTime > slot.Expiration)
            {
                slots.Set(key, slot with { Expiration = expirationTime });
            }

            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc/>
    public ValueTask<DhtItem?> GetAsync(DhtTier tier, DhtId key, CancellationToken cancellationToken)
    {
        var now = DhtTime.Now(_timeProvider);
        lock (_lock)
        {
            return ValueTask.FromResult(TierOf(tier).TryGet(key, out var slot) ? slot.ToItem(now) : null);
        }
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<(DhtId Key, DhtItem Item)> ItemsAsync(DhtTier tier, CancellationToken cancellationToken)
    {
        var now = DhtTime.Now(_timeProvider);
        List<(DhtId Key, DhtItem Item)> items = [];
        lock (_lock)
        {
            foreach (var (key, slot) in TierOf(tier).All)
            {
                if (slot.ToItem(now) is { } item)
                {
                    items.Add((key, item));
                }
            }
        }

        return items.ToAsyncEnumerable();
    }

    /// <inheritdoc/>
    public ValueTask<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        var now = DhtTime.Now(_timeProvider);
        lock (_lock)
        {
            return ValueTask.FromResult(_storage.RemoveExpired(now, entriesToo: true) + _cache.RemoveExpired(now, entriesToo: true));
        }
    }

    private Tier TierOf(DhtTier tier) => tier switch
    {
        DhtTier.Storage => _storage,
        DhtTier.Cache => _cache,
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, "unknown DHT tier"),
    };

    /// <summary>Adds a key the tier does not hold, within the tier's bound.</summary>
    private bool AddKey(DhtTier tier, Tier slots, DhtId key, Slot slot)
    {
        if (tier == DhtTier.Storage)
        {
            if (slots.Count >= _limits.MaxKeys)
            {
                return false;
            }

            slots.Set(key, slot);
            return true;
        }

        // TimedStorage.store then _remove_outdated: the new key counts, and the earliest-expiring keys beyond maxsize
        // go, which may be the new key itself; the store still reports success, as hivemind's does.
        slots.Set(key, slot);
        while (slots.Count > _limits.CacheMaxKeys)
        {
            slots.RemoveEarliest();
        }

        return true;
    }

    /// <summary>One key's value: a regular value, or a dictionary whose expiration is its latest entry's.</summary>
    private sealed record Slot(byte[] Value, SortedDictionary<byte[], DhtDictionaryEntry>? Entries, double Expiration)
    {
        public static Slot Regular(byte[] value, double expirationTime) => new(value, null, expirationTime);

        public static Slot Dictionary(byte[] subkey, DhtDictionaryEntry entry) =>
            new([], new SortedDictionary<byte[], DhtDictionaryEntry>(ByteSequenceComparer.Instance) { [subkey] = entry }, entry.ExpirationTime);

        /// <summary>The live value, or null when nothing in it is live.</summary>
        public DhtItem? ToItem(double now)
        {
            if (Expiration < now)
            {
                return null;
            }

            if (Entries is null)
            {
                return DhtItem.Regular(Value, Expiration);
            }

            List<DhtDictionaryEntry> live = [];
            foreach (var entry in Entries.Values)
            {
                if (entry.ExpirationTime >= now)
                {
                    live.Add(entry);
                }
            }

            return live.Count == 0 ? null : DhtItem.Dictionary(live);
        }

        /// <summary>Removes expired dictionary entries; returns how many.</summary>
        public int RemoveExpiredEntries(double now)
        {
            if (Entries is null)
            {
                return 0;
            }

            List<byte[]> expired = [];
            foreach (var (subkey, entry) in Entries)
            {
                if (entry.ExpirationTime < now)
                {
                    expired.Add(subkey);
                }
            }

            foreach (var subkey in expired)
            {
                Entries.Remove(subkey);
            }

            return expired.Count;
        }
    }

    /// <summary>One tier's keys, indexed by expiration so that expired and earliest-expiring keys go first.</summary>
    private sealed class Tier
    {
        private readonly Dictionary<DhtId, Slot> _slots = [];
        private readonly SortedSet<(double Expiration, DhtId Key)> _byExpiration = [];

        public int Count => _slots.Count;

        public IEnumerable<KeyValuePair<DhtId, Slot>> All => _slots;

        public bool TryGet(DhtId key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Slot? slot) => _slots.TryGetValue(key, out slot);

        public void Set(DhtId key, Slot slot)
        {
            if (_slots.TryGetValue(key, out var previous))
            {
                _byExpiration.Remove((previous.Expiration, key));
            }

            _slots[key] = slot;
            _byExpiration.Add((slot.Expiration, key));
        }

        public void RemoveEarliest()
        {
            var (_, key) = _byExpiration.Min;
            _byExpiration.Remove(_byExpiration.Min);
            _slots.Remove(key);
        }

        /// <summary>
        /// Removes keys whose value has expired (and, with <paramref name="entriesToo"/>, expired entries of live
        /// dictionaries); returns how many values and entries went.
        /// </summary>
        public int RemoveExpired(double now, bool entriesToo = false)
        {
            var removed = 0;
            while (_byExpiration.Count > 0 && _byExpiration.Min.Expiration < now)
            {
                var (_, key) = _byExpiration.Min;
                _byExpiration.Remove(_byExpiration.Min);
                if (_slots.Remove(key, out var slot))
                {
                    removed += slot.Entries?.Count ?? 1;
                }
            }

            if (entriesToo)
            {
                foreach (var slot in _slots.Values)
                {
                    removed += slot.RemoveExpiredEntries(now);
                }
            }

            return removed;
        }
    }
}
