// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Hivemind.Storage;

/// <summary>
/// The Lua scripts of <see cref="RedisDhtLocalStore"/>: hivemind's store rules (<c>hivemind/dht/storage.py</c>,
/// <c>hivemind/utils/timed_storage.py</c>) as one atomic step each. Expirations are compared as the doubles they are:
/// fields and ARGV carry them as 8-byte big-endian IEEE doubles (<c>struct.unpack('>d')</c>), and index scores are
/// written with 17 significant digits, which round-trip a double exactly.
/// </summary>
internal static class RedisDhtScripts
{
    // KEYS[1] = the key's hash, KEYS[2] = the tier's index (member = hex key id, score = the hash's latest expiration).
    // ARGV[1] = now, ARGV[2] = hex key id, ARGV[3] = the tier's key bound, ARGV[4] = '1' to evict beyond it (cache)
    // or '0' to refuse new keys (storage), ARGV[5] = the tier's hash prefix, ARGV[6] = field value (expiration || value).
    // After it: `latest` is the live value's expiration (a dictionary's latest entry), or nil when there is none.
    private const string Prelude = """
        local hash, index = KEYS[1], KEYS[2]
        local now = struct.unpack('>d', ARGV[1])
        local member, limit, evict, tierPrefix, field = ARGV[2], tonumber(ARGV[3]), ARGV[4] == '1', ARGV[5], ARGV[6]
        local exp = struct.unpack('>d', field)
        if exp ~= exp or exp < now then return 0 end

        local function score(x) return string.format('%.17g', x) end
        local function expirationOf(v)
          if string.len(v) < 8 then return nil end
          local e = struct.unpack('>d', v)
          if e ~= e then return nil end
          return e
        end
        local function expireAt(e)
          local ms = math.ceil(e * 1000)
          if ms > 253402300799999 then redis.call('PERSIST', hash)
          else redis.call('PEXPIREAT', hash, string.format('%d', ms)) end
        end
        local function admits()
          return evict or redis.call('ZCARD', index) < limit
        end
        local function replace(name)
          redis.call('DEL', hash)
          redis.call('HSET', hash, name, field)
          redis.call('ZADD', index, score(exp), member)
          expireAt(exp)
        end
        local function evictOverflow()
          if not evict then return end
          local over = redis.call('ZCARD', index) - limit
          if over > 0 then
            local popped = redis.call('ZPOPMIN', index, over)
            for i = 1, #popped, 2 do redis.call('DEL', tierPrefix .. popped[i]) end
          end
        end

        redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. score(now))
        local latest = redis.call('ZSCORE', index, member)
        if latest then
          latest = tonumber(latest)
          if redis.call('EXISTS', hash) == 0 then
            redis.call('ZREM', index, member)
            latest = nil
          end
        end

        """;

    /// <summary>A regular value: replaces anything expiring strictly earlier (TimedStorage.store). Returns 1 or 0.</summary>
    public const string StoreRegular = Prelude + """
        if latest then
          if exp <= latest then return 0 end
          replace('')
          return 1
        end
        if not admits() then return 0 end
        replace('')
        evictOverflow()
        return 1
        """;

    /// <summary>
    /// One dictionary entry (DHTLocalStorage.store_subkey); ARGV[7] = subkey, ARGV[8] = subkeys per key. On nothing, or
    /// on a regular value expiring strictly earlier: a new dictionary with this entry only. On a dictionary: adds the
    /// entry, or supersedes the subkey's entry when strictly later; a new subkey on a full dictionary is refused unless
    /// expired entries make room. Returns 1 or 0.
    /// </summary>
    public const string StoreSubkey = Prelude + """
        local subkey, maxSubkeys = ARGV[7], tonumber(ARGV[8])
        if not latest then
          if not admits() then return 0 end
          replace(subkey)
          evictOverflow()
          return 1
        end
        if redis.call('HEXISTS', hash, '') == 1 then
          if exp <= latest then return 0 end
          replace(subkey)
          return 1
        end
        local current = redis.call('HGET', hash, subkey)
        if current then
          local e = expirationOf(current)
          if e and exp <= e then return 0 end
        elseif redis.call('HLEN', hash) >= maxSubkeys then
          local all = redis.call('HGETALL', hash)
          for i = 1, #all, 2 do
            local e = expirationOf(all[i + 1])
            if not e or e < now then redis.call('HDEL', hash, all[i]) end
          end
          if redis.call('HLEN', hash) >= maxSubkeys then return 0 end
        end
        redis.call('HSET', hash, subkey, field)
        if exp > latest then
          redis.call('ZADD', index, score(exp), member)
          expireAt(exp)
        end
        return 1
        """;

    /// <summary>
    /// Removes one hash's expired (or unreadable) fields, and its index member when none is left.
    /// KEYS[1] = hash, KEYS[2] = index; ARGV[1] = now, ARGV[2] = hex key id. Returns how many fields went.
    /// </summary>
    public const string PurgeKey = """
        local now = struct.unpack('>d', ARGV[1])
        local all = redis.call('HGETALL', KEYS[1])
        local removed, live = 0, false
        for i = 1, #all, 2 do
          local v, e = all[i + 1], nil
          if string.len(v) >= 8 then e = struct.unpack('>d', v) end
          if not e or e ~= e or e < now then
            redis.call('HDEL', KEYS[1], all[i])
            removed = removed + 1
          else
            live = true
          end
        end
        if not live then redis.call('ZREM', KEYS[2], ARGV[2]) end
        return removed
        """;

    /// <summary>Drops index members whose latest expiration is before now. KEYS[1] = index; ARGV[1] = now.</summary>
    public const string PruneIndex = """
        local now = struct.unpack('>d', ARGV[1])
        return redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%.17g', now))
        """;
}
