// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.ComponentModel.DataAnnotations;

namespace KwaaiNet.Hivemind;

/// <summary>The dht module's settings, section <c>KwaaiNet:Dht</c>.</summary>
public sealed class DhtOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "KwaaiNet:Dht";

    /// <summary>Largest key accepted, in bytes. Default 256: hivemind keys are 20-byte DHTIDs; this only bounds input.</summary>
    [Range(1, 4096)]
    public int MaxKeyBytes { get; set; } = 256;

    /// <summary>Largest subkey accepted, in bytes. Default 256 (a msgpack-encoded peer id is under 64).</summary>
    [Range(1, 4096)]
    public int MaxSubkeyBytes { get; set; } = 256;

    /// <summary>Largest value accepted, in bytes. Default 64 KiB; a Petals ServerInfo record is a few hundred bytes.</summary>
    [Range(1, 16 * 1024 * 1024)]
    public int MaxValueBytes { get; set; } = 64 * 1024;

    /// <summary>Subkeys kept per key. Default 4096: one per server announcing the same block.</summary>
    [Range(1, 1_000_000)]
    public int MaxSubkeysPerKey { get; set; } = 4096;

    /// <summary>
    /// Keys kept in the storage tier; a store of a new key beyond it is refused. Default 1,048,576, upstream KwaaiNet's
    /// bound (<c>kwaai-hivemind-dht</c>; hivemind's own storage is unbounded).
    /// </summary>
    [Range(1, 100_000_000)]
    public int MaxKeys { get; set; } = 1_048_576;

    /// <summary>
    /// Keys kept in the cache tier; beyond it the earliest-expiring keys are evicted, as hivemind's
    /// <c>TimedStorage(maxsize=cache_size)</c> does. Default 32,768, upstream KwaaiNet's bound.
    /// </summary>
    [Range(1, 10_000_000)]
    public int CacheMaxKeys { get; set; } = 32_768;

    /// <summary>How far ahead an expiration may be. Default 24 h; Petals announces 360 s ahead.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan MaxExpirationAhead { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The Redis key prefix of DHT records. Default <c>kwaainet:dht:</c>.</summary>
    [Required]
    public string RedisKeyPrefix { get; set; } = "kwaainet:dht:";
}
