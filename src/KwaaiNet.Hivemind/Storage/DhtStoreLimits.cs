// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Hivemind.Storage;

/// <summary>The input bounds both local stores apply before any rule: what a store refuses outright.</summary>
internal sealed class DhtStoreLimits(DhtOptions options)
{
    public int MaxSubkeyBytes { get; } = options.MaxSubkeyBytes;

    public int MaxValueBytes { get; } = options.MaxValueBytes;

    public int MaxSubkeysPerKey { get; } = options.MaxSubkeysPerKey;

    public int MaxKeys { get; } = options.MaxKeys;

    public int CacheMaxKeys { get; } = options.CacheMaxKeys;

    /// <summary>
    /// False for a value over <see cref="DhtOptions.MaxValueBytes"/>, a NaN expiration, or one before
    /// <paramref name="now"/>. An expiration equal to now is accepted: hivemind rejects only
    /// <c>expiration_time &lt; get_dht_time()</c> (<c>hivemind/utils/timed_storage.py::TimedStorage.store</c>).
    /// </summary>
    public bool Admits(int valueLength, double expirationTime, double now) =>
        valueLength <= MaxValueBytes && !double.IsNaN(expirationTime) && expirationTime >= now;

    /// <summary>
    /// Throws for an empty subkey (a msgpack encoding is never empty, and an empty subkey tag means a whole dictionary
    /// on the wire, <c>IS_DICTIONARY</c>); false for one over <see cref="DhtOptions.MaxSubkeyBytes"/>.
    /// </summary>
    public bool AdmitsSubkey(ReadOnlyMemory<byte> subkey)
    {
        if (subkey.IsEmpty)
        {
            throw new ArgumentException("A subkey is the msgpack encoding of an object and is never empty.", nameof(subkey));
        }

        return subkey.Length <= MaxSubkeyBytes;
    }
}
