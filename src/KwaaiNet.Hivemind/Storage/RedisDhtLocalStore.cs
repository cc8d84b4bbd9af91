// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Values;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace KwaaiNet.Hivemind.Storage;

/// <summary>
/// A node's records in Redis (the dht service: a restart loses nothing, and several nodes may share one Redis).
/// <para>
/// Layout: one hash per key, <c>{RedisKeyPrefix}{scope}:{s|c}:{hex key id}</c> (<c>s</c> storage, <c>c</c> cache;
/// the scope is the node's, such as its peer id). Field <c>""</c> holds a regular value (a msgpack subkey is never
/// empty); any other field is a subkey's bytes. A field's value is its expiration as an 8-byte big-endian IEEE double
/// followed by the value's bytes, so the expiration read back is bit-identical to the one stored (hivemind compares
/// them as floats). Per scope and tier, a sorted set <c>{RedisKeyPrefix}{scope}:index:{s|c}</c> scores each key by its
/// latest expiration: it counts keys for <see cref="DhtOptions.MaxKeys"/> and orders cache eviction.
/// </para>
/// <para>
/// Each store is one Lua script, so concurrent writers (several dht replicas) apply hivemind's compare-and-set rules
/// atomically, and each hash's Redis expiry is its latest entry's expiration, so Redis drops dead keys itself.
/// The scripts touch keys of one scope only, but more than one key: this needs a single Redis (or one shard).
/// A Redis failure surfaces as <see cref="RedisException"/> or <see cref="TimeoutException"/>.
/// </para>
/// </summary>
public sealed class RedisDhtLocalStore : IDhtLocalStore
{
    /// <summary>How many keys one SCAN step asks for, and how many keys are purged in one round of scripts.</summary>
    private const int ScanBatch = 256;

    /// <summary>The longest scope accepted.</summary>
    private const int MaxScopeLength = 128;

    private static readonly DhtTier[] Tiers = [DhtTier.Storage, DhtTier.Cache];

    private readonly IConnectionMultiplexer _redis;
    private readonly DhtStoreLimits _limits;
    private readonly TimeProvider _timeProvider;
    private readonly string _storagePrefix;
    private readonly string _cachePrefix;
    private readonly RedisKey _storageIndex;
    private readonly RedisKey _cacheIndex;

    /// <summary>Creates a store over <paramref name="redis"/> for the node named by <paramref name="keyScope"/>.</summary>
    /// <param name="redis">The connection.</param>
    /// <param name="options">Bounds and <see cref="DhtOptions.RedisKeyPrefix"/>.</param>
    /// <param name="timeProvider">The clock that decides what has expired.</param>
    /// <param name="keyScope">
    /// The node's part of every Redis key, so that nodes sharing a Redis keep separate records: 1 to 128 characters
    /// among ASCII letters, digits, <c>.</c>, <c>_</c> and <c>-</c> (a base58 peer id qualifies).
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="keyScope"/> is empty, too long or has other characters.</exception>
    public RedisDhtLocalStore(IConnectionMultiplexer redis, IOptions<DhtOptions> options, TimeProvider timeProvider, string keyScope)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(keyScope);
        if (keyScope.Length is 0 or > MaxScopeLength || !keyScope.All(static c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            // ':' would let one scope's keys match another's SCAN pattern, and glob characters would widen it.
            throw new ArgumentException(
                $"A Redis key scope is 1 to {MaxScopeLength} characters among ASCII letters, digits, '.', '_' and '-'.",
                nameof(keyScope));
        }

        _redis = redis;
        _limits = new DhtStoreLimits(options.Value);
        _timeProvider = timeProvider;
        var root = options.Value.RedisKeyPrefix + keyScope + ":";
        _storagePrefix = root + "s:";
        _cachePrefix = root + "c:";
        _storageIndex = root + "index:s";
        _cacheIndex = root + "index:c";
    }

    /// <inheritdoc/>
    public async ValueTask<bool> StoreAsync(DhtTier tier, DhtId key, ReadOnlyMemory<byte> value, double expirationTime, CancellationToken cancellationToken)
    {
        var now = DhtTime.Now(_timeProvider);
        if (!_limits.Admits(value.Length, expirationTime, now))
        {
            return false;
        }

        var result = await _redis.GetDatabase().ScriptEvaluateAsync(
            RedisDhtScripts.StoreRegular,
            [HashKey(tier, key), IndexKey(tier)],
            [.. CommonArguments(tier, key, now, value.Span, expirationTime)]).WaitAsync(cancellationToken).ConfigureAwait(false);
        return (int)result == 1;
    }

    /// <inheritdoc/>
    public async ValueTask<bool> StoreSubkeyAsync(DhtTier tier, DhtId key, ReadOnlyMemory<byte> subkey, ReadOnlyMemory<byte> value, double expirationTime, CancellationToken cancellationToken)
    {
        var now = DhtTime.Now(_timeProvider);
        if (!_limits.AdmitsSubkey(subkey) || !_limits.Admits(value.Length, expirationTime, now))
        {
            return false;
        }

        var result = await _redis.GetDatabase().ScriptEvaluateAsync(
            RedisDhtScripts.StoreSubkey,
            [HashKey(tier, key), IndexKey(tier)],
            [.. CommonArguments(tier, key, now, value.Span, expirationTime), subkey.ToArray(), _limits.MaxSubkeysPerKey]).WaitAsync(cancellationToken).ConfigureAwait(false);
        return (int)result == 1;
    }

    /// <inheritdoc/>
    public async ValueTask<DhtItem?> GetAsync(DhtTier tier, DhtId key, CancellationToken cancellationToken)
    {
        var fields = await _redis.GetDatabase().HashGetAllAsync(HashKey(tier, key)).WaitAsync(cancellationToken).ConfigureAwait(false);
        return ToItem(fields, DhtTime.Now(_timeProvider));
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<(DhtId Key, DhtItem Item)> ItemsAsync(DhtTier tier, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var database = _redis.GetDatabase();
        var prefix = PrefixOf(tier);
        await foreach (var redisKey in ScanAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            if (!TryParseId(redisKey, prefix, out var id))
            {
                continue;
            }

            var fields = await database.HashGetAllAsync(redisKey).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (ToItem(fields, DhtTime.Now(_timeProvider)) is { } item)
            {
                yield return (id, item);
            }
        }
    }

    /// <inheritdoc/>
    public async ValueTask<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        var database = _redis.GetDatabase();
        var removed = 0;
        foreach (var tier in Tiers)
        {
            var prefix = PrefixOf(tier);
            var index = IndexKey(tier);
            var now = new byte[sizeof(double)];
            BinaryPrimitives.WriteDoubleBigEndian(now, DhtTime.Now(_timeProvider));
            List<Task<RedisResult>> batch = new(ScanBatch);
            await foreach (var redisKey in ScanAsync(prefix, cancellationToken).ConfigureAwait(false))
            {
                var member = ((string)redisKey!)[prefix.Length..];
                batch.Add(database.ScriptEvaluateAsync(RedisDhtScripts.PurgeKey, [redisKey, index], [now, member]));
                if (batch.Count == ScanBatch)
                {
                    removed += await SumAsync(batch, cancellationToken).ConfigureAwait(false);
                }
            }

            removed += await SumAsync(batch, cancellationToken).ConfigureAwait(false);

            // Keys Redis dropped on its own still have an index member.
            await database.ScriptEvaluateAsync(RedisDhtScripts.PruneIndex, [index], [now]).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return removed;

        static async Task<int> SumAsync(List<Task<RedisResult>> batch, CancellationToken cancellationToken)
        {
            var results = await Task.WhenAll(batch).WaitAsync(cancellationToken).ConfigureAwait(false);
            batch.Clear();
            return results.Sum(static r => (int)r);
        }
    }

    /// <summary>The live value of one hash's fields, or null; fields not in our format are skipped.</summary>
    private static DhtItem? ToItem(HashEntry[] fields, double now)
    {
        List<DhtDictionaryEntry>? entries = null;
        foreach (var field in fields)
        {
            byte[]? name = field.Name;
            byte[]? content = field.Value;
            if (name is null || content is null || content.Length < sizeof(double))
            {
                continue;
            }

            var expiration = BinaryPrimitives.ReadDoubleBigEndian(content);
            if (double.IsNaN(expiration) || expiration < now)
            {
                continue;
            }

            if (name.Length == 0)
            {
                // The store script never leaves a regular value beside subkeys (it replaces the whole hash).
                return DhtItem.Regular(content.AsMemory(sizeof(double)), expiration);
            }

            (entries ??= []).Add(new DhtDictionaryEntry(name, content.AsMemory(sizeof(double)), expiration));
        }

        if (entries is null)
        {
            return null;
        }

        entries.Sort(static (a, b) => a.Subkey.Span.SequenceCompareTo(b.Subkey.Span));
        return DhtItem.Dictionary(entries);
    }

    private static bool TryParseId(RedisKey redisKey, string prefix, out DhtId id)
    {
        var name = (string?)redisKey;
        Span<byte> bytes = stackalloc byte[DhtId.Length];
        if (name is null || name.Length != prefix.Length + (2 * DhtId.Length)
            || Convert.FromHexString(name.AsSpan(prefix.Length), bytes, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != DhtId.Length)
        {
            id = default;
            return false;
        }

        id = DhtId.FromBytes(bytes);
        return true;
    }

    /// <summary>A Redis glob matching exactly the keys that start with <paramref name="prefix"/>.</summary>
    private static string GlobOf(string prefix)
    {
        var glob = new StringBuilder(prefix.Length + 2);
        foreach (var c in prefix)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                glob.Append('\\');
            }

            glob.Append(c);
        }

        return glob.Append('*').ToString();
    }

    /// <summary>Every key under <paramref name="prefix"/> on each primary, by SCAN in bounded steps.</summary>
    private async IAsyncEnumerable<RedisKey> ScanAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pattern = GlobOf(prefix);
        var database = _redis.GetDatabase().Database;
        foreach (var server in _redis.GetServers())
        {
            if (server.IsReplica)
            {
                continue;
            }

            await foreach (var key in server.KeysAsync(database, pattern, ScanBatch).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                yield return key;
            }
        }
    }

    /// <summary>ARGV 1 to 6 of the store scripts (see <see cref="RedisDhtScripts"/>).</summary>
    private RedisValue[] CommonArguments(DhtTier tier, DhtId key, double now, ReadOnlySpan<byte> value, double expirationTime)
    {
        var nowBytes = new byte[sizeof(double)];
        BinaryPrimitives.WriteDoubleBigEndian(nowBytes, now);
        var field = new byte[sizeof(double) + value.Length];
        BinaryPrimitives.WriteDoubleBigEndian(field, expirationTime);
        value.CopyTo(field.AsSpan(sizeof(double)));
        var evicts = tier == DhtTier.Cache;
        return [nowBytes, key.ToString(), evicts ? _limits.CacheMaxKeys : _limits.MaxKeys, evicts ? "1" : "0", PrefixOf(tier), field];
    }

    private string PrefixOf(DhtTier tier) => tier switch
    {
        DhtTier.Storage => _storagePrefix,
        DhtTier.Cache => _cachePrefix,
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, "unknown DHT tier"),
    };

    private RedisKey HashKey(DhtTier tier, DhtId key) => PrefixOf(tier) + key.ToString();

    private RedisKey IndexKey(DhtTier tier) => tier == DhtTier.Cache ? _cacheIndex : _storageIndex;
}
