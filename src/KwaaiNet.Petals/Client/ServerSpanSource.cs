// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind;
using KwaaiNet.Hivemind.Client;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Values;
using KwaaiNet.Petals.Records;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Petals.Client;

/// <summary>
/// Reads the servers of a model from its block records in the DHT (petals <c>get_remote_module_infos</c> and
/// <c>compute_spans</c>; research petals-protocol.md §11.2): every key <c>{prefix}.{b}</c>, every unexpired entry read
/// with <see cref="ServerRecordReader"/> (bad entries are skipped and logged), one span per server from its
/// <c>start_block</c>/<c>end_block</c>, the latest announcement winning. Only <see cref="ServerState.Online"/> servers
/// are returned: the others cannot be routed through.
/// </summary>
public sealed class ServerSpanSource
{
    /// <summary>The most block keys read at once.</summary>
    public const int MaxConcurrentGets = 8;

    /// <summary>The most blocks a model may have here (a Llama 405B has 126).</summary>
    public const int MaxBlocks = 1024;

    private readonly IDhtClient _dht;
    private readonly TimeProvider _time;
    private readonly ILogger<ServerSpanSource> _logger;

    /// <summary>Creates the source over <paramref name="dht"/>.</summary>
    public ServerSpanSource(IDhtClient dht, TimeProvider timeProvider, ILogger<ServerSpanSource> logger)
    {
        ArgumentNullException.ThrowIfNull(dht);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _dht = dht;
        _time = timeProvider;
        _logger = logger;
    }

    /// <summary>The online servers of the model under <paramref name="dhtPrefix"/> with <paramref name="blockCount"/> blocks.</summary>
    /// <exception cref="ArgumentException">The prefix is not a dht prefix, or the block count is out of range.</exception>
    /// <exception cref="DhtUnavailableException">The DHT could not answer now.</exception>
    public async Task<IReadOnlyList<ServerSpanInfo>> ReadAsync(string dhtPrefix, int blockCount, CancellationToken cancellationToken)
    {
        if (!ModuleUid.IsValidPrefix(dhtPrefix))
        {
            throw new ArgumentException($"'{dhtPrefix}' is not a dht prefix.", nameof(dhtPrefix));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(blockCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(blockCount, MaxBlocks);
        var items = new DhtItem?[blockCount];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, blockCount),
            new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentGets, CancellationToken = cancellationToken },
            async (block, token) => items[block] = await _dht.GetAsync(DhtId.FromKey(ModuleUid.Format(dhtPrefix, block)), latest: true, token));
        return FromRecords(dhtPrefix, items, DhtTime.ToDhtTime(_time.GetUtcNow()), _logger);
    }

    /// <summary>
    /// The online servers in the block records <paramref name="items"/> (index = block; null = no record), whose entries
    /// expiring at or before <paramref name="dhtNow"/> are ignored. Bad entries are logged on <paramref name="logger"/> and skipped.
    /// </summary>
    public static IReadOnlyList<ServerSpanInfo> FromRecords(string dhtPrefix, IReadOnlyList<DhtItem?> items, double dhtNow, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(logger);
        var servers = new Dictionary<(string PeerId, int Start, int End), (ServerRecord Record, double Expiration)>();
        for (var block = 0; block < items.Count; block++)
        {
            if (items[block] is not { } item)
            {
                continue;
            }

            if (item.Entries is not { } entries)
            {
                logger.ServerRecordSkipped(dhtPrefix, block, string.Empty, "a regular value, expected a dictionary keyed by peer id");
                continue;
            }

            foreach (var entry in entries)
            {
                if (entry.ExpirationTime <= dhtNow)
                {
                    continue;
                }

                if (!ServerRecordReader.TryRead(entry, block, items.Count, out var record, out var subkey, out _, out var reason))
                {
                    logger.ServerRecordSkipped(dhtPrefix, block, subkey, reason);
                    continue;
                }

                var id = (record.PeerId, record.Info.StartBlock!.Value, record.Info.EndBlock!.Value);
                if (!servers.TryGetValue(id, out var held) || entry.ExpirationTime > held.Expiration)
                {
                    servers[id] = (record, entry.ExpirationTime);
                }
            }
        }

        return [.. servers.Values
            .Select(static s => ServerSpanInfo.From(s.Record))
            .Where(static s => s.State == ServerState.Online)
            .OrderBy(static s => s.Start)
            .ThenBy(static s => s.PeerId, StringComparer.Ordinal)];
    }
}
