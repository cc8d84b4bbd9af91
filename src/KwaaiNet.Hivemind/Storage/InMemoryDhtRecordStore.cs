// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Options;

namespace KwaaiNet.Hivemind.Storage;

/// <summary>Records in process memory, for the embedded node: lost on restart, which the node logs at start.</summary>
public sealed class InMemoryDhtRecordStore(IOptions<DhtOptions> options, TimeProvider timeProvider) : IDhtRecordStore
{
    private readonly int _maxSubkeysPerKey = options.Value.MaxSubkeysPerKey;
    private readonly Dictionary<string, Dictionary<string, DhtRecord>> _records = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <inheritdoc/>
    public ValueTask<bool> StoreAsync(ReadOnlyMemory<byte> key, DhtRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var now = timeProvider.GetUtcNow();
        if (record.ExpirationTime <= now)
        {
            return ValueTask.FromResult(false);
        }

        var keyText = Convert.ToHexString(key.Span);
        var subkeyText = Convert.ToHexString(record.Subkey.Span);
        lock (_lock)
        {
            if (!_records.TryGetValue(keyText, out var values))
            {
                values = new Dictionary<string, DhtRecord>(StringComparer.Ordinal);
                _records[keyText] = values;
            }

            if (values.TryGetValue(subkeyText, out var existing) && existing.ExpirationTime >= record.ExpirationTime && existing.ExpirationTime > now)
            {
                return ValueTask.FromResult(false);
            }

            if (existing is null && values.Count >= _maxSubkeysPerKey)
            {
                RemoveExpired(values, now);
                if (values.Count >= _maxSubkeysPerKey)
                {
                    return ValueTask.FromResult(false);
                }
            }

            values[subkeyText] = record with { Subkey = record.Subkey.ToArray(), Value = record.Value.ToArray() };
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<DhtRecord>> GetAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var keyText = Convert.ToHexString(key.Span);
        lock (_lock)
        {
            if (!_records.TryGetValue(keyText, out var values))
            {
                return ValueTask.FromResult<IReadOnlyList<DhtRecord>>([]);
            }

            // Expired values are dropped on read, so memory stays bounded by what is live.
            RemoveExpired(values, now);
            if (values.Count == 0)
            {
                _records.Remove(keyText);
            }

            return ValueTask.FromResult<IReadOnlyList<DhtRecord>>([.. values.Values]);
        }
    }

    private static void RemoveExpired(Dictionary<string, DhtRecord> values, DateTimeOffset now)
    {
        foreach (var expired in values.Where(v => v.Value.ExpirationTime <= now).Select(static v => v.Key).ToList())
        {
            values.Remove(expired);
        }
    }
}
