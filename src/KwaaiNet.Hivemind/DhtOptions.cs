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

    /// <summary>
    /// This node's scope under <see cref="RedisKeyPrefix"/>: its records and its persisted node id. Give nodes that share
    /// one Redis different scopes. Default <c>node</c>.
    /// </summary>
    [Required]
    [RegularExpression(@"^[A-Za-z0-9_.\-]{1,64}$", ErrorMessage = "KeyScope must be 1 to 64 letters, digits, '.', '_' or '-'.")]
    public string KeyScope { get; set; } = "node";

    /// <summary>
    /// The p2p-gateway's gRPC address, through which a standalone dht service calls other nodes. Default
    /// <c>http://_grpc.p2p-gateway</c> (Aspire service discovery). Unused when the gateway runs in the same process.
    /// </summary>
    [Required]
    public Uri Gateway { get; set; } = new("http://_grpc.p2p-gateway");
    /// <summary>Nodes per k-bucket (Kademlia's k); also how many neighbours <c>rpc_find</c> returns. Default 20, as hivemind.</summary>
    [Range(1, 256)]
    public int BucketSize { get; set; } = 20;

    /// <summary>
    /// Kademlia's b: a bucket that does not hold our own id still splits unless its depth is a multiple of this. Default 5,
    /// as hivemind.
    /// </summary>
    [Range(1, 160)]
    public int DepthModulo { get; set; } = 5;

    /// <summary>How many of the nearest nodes a store goes to. Default 5, as hivemind.</summary>
    [Range(1, 256)]
    public int NumReplicas { get; set; } = 5;

    /// <summary>Nodes kept in a lookup's beam; 0 means <see cref="BucketSize"/> (hivemind's default).</summary>
    [Range(0, 1024)]
    public int BeamSize { get; set; }

    /// <summary>Concurrent requests of one lookup (hivemind's <c>num_workers</c>). Default 4, as hivemind.</summary>
    [Range(1, 64)]
    public int Parallelism { get; set; } = 4;

    /// <summary>Concurrent outgoing calls of the whole node. Default 64.</summary>
    [Range(1, 4096)]
    public int MaxConcurrentCalls { get; set; } = 64;

    /// <summary>How long one call may take. Default 5 s (hivemind's <c>wait_timeout</c> is 3 s; upstream KwaaiNet's 30 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:05:00")]
    public TimeSpan RpcTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Keys accepted in one <c>rpc_store</c> or <c>rpc_find</c>. Default 1024, upstream KwaaiNet's limit.</summary>
    [Range(1, 65536)]
    public int MaxKeysPerRequest { get; set; } = 1024;

    /// <summary>Cache values found by lookups in this node's cache tier. Default true, as hivemind.</summary>
    public bool CacheLocally { get; set; } = true;

    /// <summary>After a lookup, push the value into the cache of this many nearest nodes that lacked it. Default 1, as hivemind.</summary>
    [Range(0, 64)]
    public int CacheNearest { get; set; } = 1;

    /// <summary>
    /// Hand a newly met node the records it should hold (hivemind's routing-table update does). Default true.
    /// </summary>
    public bool HandOffRecords { get; set; } = true;

    /// <summary>
    /// Store on every bootstrap peer as well as on the nearest nodes. Default true: upstream KwaaiNet stores only on the
    /// bootstraps, does not replicate between them, and the public map reads them.
    /// </summary>
    public bool ReplicateToBootstraps { get; set; } = true;

    /// <summary>
    /// Accept a subkey that is a peer id only from that authenticated peer. Default false: hivemind (without record
    /// validators) and upstream KwaaiNet accept any subkey.
    /// </summary>
    public bool StrictSubkeys { get; set; }

    /// <summary>A handler namespace: protocol ids become <c>{namespace}::DHTProtocol.rpc_*</c>. Default none, as hivemind's DHT.</summary>
    [RegularExpression(@"^[^\s:]*$", ErrorMessage = "Namespace may not contain whitespace or ':'.")]
    public string? Namespace { get; set; }

    /// <summary>How long a silent peer is skipped by lookups; doubled after each further failure. Default 5 s, as hivemind.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan BlacklistTime { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The factor a repeat offender's blacklist time grows by. Default 2, as hivemind.</summary>
    [Range(1.0, 16.0)]
    public double BlacklistBackoff { get; set; } = 2.0;

    /// <summary>Buckets not updated for this long are refreshed with a lookup of a random id in them. Default 10 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RefreshPeriod { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often expired records are purged from storage. Default 1 minute.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan PurgePeriod { get; set; } = TimeSpan.FromMinutes(1);
}
