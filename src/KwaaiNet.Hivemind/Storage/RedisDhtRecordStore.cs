// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace KwaaiNet.Hivemind.Storage;

/// <summary>
/// Records in Redis: one hash per DHT key (<c>{prefix}{hex key}</c>), one field per subkey, each field holding
/// the expiration (15 decimal digits of Unix milliseconds, so Lua compares it exactly) followed by the raw value.
/// The compare-and-set runs as one Lua script, so concurrent stores from several dht replicas stay correct, and the
/// hash expires in Redis with its latest value, so Redis never keeps dead records.
/// </summary>
public sealed class RedisDhtRecordStore(IConnectionMultiplexer redis, IOptions<DhtOptions> options, TimeProvider timeProvider) : IDhtRecordStore
{
    private const int ExpirationDigits = 15;

    // KEYS[1] = hash, ARGV = subkey field, expiration ms, field value, now ms, max subkeys. Returns 1 stored, 0 not.
    private const string StoreScript = """
        local exp = tonumber(ARGV[2])
        local now = tonumber(ARGV[4])
        if exp <= now then return 0 end
        local cur = redis.call('HGET', KEYS[1], ARGV[1])
        if cur then
          local curExp = tonumber(string.sub(cur, 1, 15))
          if curExp and curExp > now and curExp >= exp then return 0 end
        elseif redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[5]) then
          local all = redis.call('HGETALL', KEYS[1])
          for i = 1, #all, 2 do
            local e = tonumber(string.sub(all[i + 1], 1, 15))
            if not e or e <= now then redis.call('HDEL', KEYS[1], all[i]) end
          end
          if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[5]) then return 0 end
        end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
        if redis.call('PEXPIRETIME', KEYS[1]) < exp then redis.call('PEXPIREAT', KEYS[1], exp) end
        return 1
        """;

    private readonly DhtOptions _options = options.Value;

    /// <inheritdoc/>
    public async ValueTask<bool> StoreAsync(ReadOnlyMemory<byte> key, DhtRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var expirationMs = record.ExpirationTime.ToUnixTimeMilliseconds();
        var field = new byte[ExpirationDigits + record.Value.Length];
        Encoding.ASCII.GetBytes(expirationMs.ToString("D15", CultureInfo.InvariantCulture), field);
        record.Value.Span.CopyTo(field.AsSpan(ExpirationDigits));

        var result = await redis.GetDatabase().ScriptEvaluateAsync(
            StoreScript,
            [RedisKeyOf(key)],
            [record.Subkey.ToArray(), expirationMs, field, timeProvider.GetUtcNow().ToUnixTimeMilliseconds(), _options.MaxSubkeysPerKey]).WaitAsync(cancellationToken);
        return (int)result == 1;
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<DhtRecord>> GetAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken)
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(RedisKeyOf(key)).WaitAsync(cancellationToken);
        var now = timeProvider.GetUtcNow();
        List<DhtRecord> records = [];
        foreach (var entry in entries)
        {
            byte[]? field = entry.Value;
            if (field is null || field.Length < ExpirationDigits
                || !long.TryParse(field.AsSpan(0, ExpirationDigits), NumberStyles.None, CultureInfo.InvariantCulture, out var expirationMs))
            {
                // Not written by us: skip it rather than fail the whole key.
                continue;
            }

            var expiration = DateTimeOffset.FromUnixTimeMilliseconds(expirationMs);
            if (expiration > now)
            {
                records.Add(new DhtRecord((byte[])entry.Name!, field.AsMemory(ExpirationDigits), expiration));
            }
        }

        return records;
    }

    private RedisKey RedisKeyOf(ReadOnlyMemory<byte> key) => _options.RedisKeyPrefix + Convert.ToHexStringLower(key.Span);
}
