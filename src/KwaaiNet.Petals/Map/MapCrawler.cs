// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind;
using KwaaiNet.Hivemind.Client;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Values;
using KwaaiNet.Petals.Records;
using KwaaiNet.Petals.Trust;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Map;

/// <summary>
/// Reads the network map out of the DHT (docs/records.md §6), as the map service behind map.kwaai.ai does
/// (KwaaiNetMap, a fork of health.petals.dev): the models of <c>_petals.models</c>, then every block key
/// <c>{prefix}.{b}</c> of each model, into one report per model with its server rows and block coverage. A model's
/// KwaaiNet prefix and its Petals <c>-hf</c> variant (and prefixes naming the same repository) are one report. Entries
/// that a strict reader would reject are skipped, logged and listed in <c>reachability_issues</c>; the crawl goes on.
/// Upstream's <c>_kwaai.inference.nodes</c> registry is not read: its records name no model, so they have no report to
/// join, and the same servers appear under their block keys.
/// </summary>
public sealed class MapCrawler
{
    /// <summary>The most <c>_petals.models</c> entries read per crawl; the rest are skipped as issues.</summary>
    public const int MaxModelPrefixes = 128;

    /// <summary>
    /// The most block keys one crawl reads (a Llama 70B under two prefixes is 160). Models are crawled smallest first,
    /// so a registry entry that claims an absurd block count cannot starve the others; a model that does not fit in what
    /// is left is not crawled and is listed as an issue.
    /// </summary>
    public const int MaxBlockKeys = 16_384;

    /// <summary>The most entries in <c>top_contributors</c> (map.kwaai.ai shows ten).</summary>
    public const int MaxTopContributors = 10;

    private readonly IDhtClient _dht;
    private readonly MapOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<MapCrawler> _logger;

    /// <summary>Creates a crawler over <paramref name="dht"/>.</summary>
    public MapCrawler(IDhtClient dht, IOptions<MapOptions> options, TimeProvider timeProvider, ILogger<MapCrawler> logger)
    {
        ArgumentNullException.ThrowIfNull(dht);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _dht = dht;
        _options = options.Value;
        _time = timeProvider;
        _logger = logger;
    }

    /// <summary>
    /// Crawls the DHT once into a <c>/api/v1/state</c> document (its <c>carbon</c> is left null: the local sample is
    /// the <see cref="NetworkMap"/>'s). <paramref name="bootstrapStates"/> is copied into <c>bootstrap_states</c>.
    /// </summary>
    /// <exception cref="DhtUnavailableException">The DHT could not answer now; nothing was crawled.</exception>
    public async Task<MapStateDocument> CrawlAsync(IReadOnlyList<string> bootstrapStates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bootstrapStates);
        var started = _time.GetTimestamp();
        var now = _time.GetUtcNow();
        var issues = new CrawlIssues(_logger);

        var entries = await ReadModelEntriesAsync(DhtTime.ToDhtTime(now), issues, cancellationToken);
        var reports = new List<MapModelReport>();
        var budget = MaxBlockKeys;
        foreach (var model in Merge(entries).OrderBy(static m => m.Prefixes.Count * m.NumBlocks).ThenBy(static m => m.Prefix, StringComparer.Ordinal))
        {
            var keys = model.Prefixes.Count * model.NumBlocks;
            if (keys > budget)
            {
                issues.Add(
                    DhtRecordKeys.PetalsModels,
                    model.Prefix,
                    model.Prefix,
                    $"model {model.Prefix} not crawled: its {keys} block keys exceed what is left of a crawl's {MaxBlockKeys}");
                continue;
            }

            budget -= keys;
            reports.Add(await ReadModelAsync(model, now, issues, cancellationToken));
        }

        reports.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        var onlineRows = reports.SelectMany(static r => r.ServerRows).Where(static r => r.State == StateName(ServerState.Online)).ToList();
        var topContributors = onlineRows
            .GroupBy(static r => r.PeerId, StringComparer.Ordinal)
            .Select(static g => new MapTopContributor(
                g.Key,
                g.Select(static r => r.Span.ServerInfo.PublicName).FirstOrDefault(static n => !string.IsNullOrEmpty(n)),
                g.Sum(static r => r.Span.ServerInfo.Throughput),
                g.Sum(static r => r.Span.End - r.Span.Start)))
            .OrderByDescending(static c => c.Throughput)
            .ThenByDescending(static c => c.Blocks)
            .ThenBy(static c => c.PeerId, StringComparer.Ordinal)
            .Take(MaxTopContributors)
            .ToList();

        return new MapStateDocument(
            [.. bootstrapStates],
            reports,
            reports.SelectMany(static r => r.ServerRows).Select(static r => r.PeerId).Distinct(StringComparer.Ordinal).Count(),
            reports.Sum(static r => r.BlockCoverage.Count(static c => c > 0)),
            topContributors,
            issues.Items,
            _time.GetUtcNow(),
            _options.CrawlPeriod.TotalSeconds,
            _time.GetElapsedTime(started).TotalSeconds,
            Carbon: null);
    }

    /// <summary>The text of a subkey (<see cref="ServerRecordReader.SubkeyText"/>).</summary>
    internal static string? SubkeyText(ReadOnlySpan<byte> subkey) => ServerRecordReader.SubkeyText(subkey);

    /// <summary>The report name of a model: the path of its repository URL (<c>https://huggingface.co/a/b</c> → <c>a/b</c>), else the prefix.</summary>
    internal static string ModelName(string? repository, string dhtPrefix)
    {
        if (Uri.TryCreate(repository, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
        {
            var path = Uri.UnescapeDataString(uri.AbsolutePath).Trim('/');
            if (path.Length > 0)
            {
                return path;
            }
        }

        return dhtPrefix;
    }

    private static string StateName(ServerState state) => state switch
    {
        ServerState.Online => "online",
        ServerState.Joining => "joining",
        _ => "offline",
    };

    private static string Shown(string text) => ServerRecordReader.Shown(text);

    private static string KindOf(ReadOnlySpan<byte> subkey) => ServerRecordReader.KindOf(subkey);

    private static string BaseOf(string prefix) =>
        prefix.EndsWith(DhtPrefix.PetalsSuffix, StringComparison.Ordinal) && prefix.Length > DhtPrefix.PetalsSuffix.Length
            ? prefix[..^DhtPrefix.PetalsSuffix.Length]
            : prefix;

    /// <summary>Groups the entries of one model: <c>X</c> with <c>X-hf</c>, and prefixes with the same repository.</summary>
    private static List<ModelGroup> Merge(List<ModelEntry> entries)
    {
        var parent = Enumerable.Range(0, entries.Count).ToArray();
        int Find(int i)
        {
            while (parent[i] != i)
            {
                i = parent[i] = parent[parent[i]];
            }

            return i;
        }

        for (var i = 0; i < entries.Count; i++)
        {
            for (var j = i + 1; j < entries.Count; j++)
            {
                var sameBase = string.Equals(BaseOf(entries[i].Prefix), BaseOf(entries[j].Prefix), StringComparison.Ordinal);
                var sameRepository = entries[i].Info.Repository is { Length: > 0 } repository
                    && string.Equals(repository, entries[j].Info.Repository, StringComparison.Ordinal);
                if (sameBase || sameRepository)
                {
                    parent[Find(j)] = Find(i);
                }
            }
        }

        var groups = new List<ModelGroup>();
        foreach (var members in Enumerable.Range(0, entries.Count).GroupBy(Find).Select(g => g.Select(i => entries[i]).ToList()))
        {
            var prefixes = members.Select(static m => m.Prefix).Order(StringComparer.Ordinal).ToList();

            // The KwaaiNet prefix (without -hf) names the report when there is one.
            var main = members
                .OrderBy(static m => m.Prefix.EndsWith(DhtPrefix.PetalsSuffix, StringComparison.Ordinal) ? 1 : 0)
                .ThenBy(static m => m.Prefix, StringComparer.Ordinal)
                .First();
            var repository = main.Info.Repository ?? members.Select(static m => m.Info.Repository).FirstOrDefault(static r => r is not null);
            groups.Add(new ModelGroup(main.Prefix, prefixes, repository, members.Max(static m => m.Info.NumBlocks)));
        }

        return groups;
    }

    private async Task<List<ModelEntry>> ReadModelEntriesAsync(double now, CrawlIssues issues, CancellationToken cancellationToken)
    {
        const string Key = DhtRecordKeys.PetalsModels;
        var entries = new List<ModelEntry>();
        var item = await _dht.GetAsync(DhtId.FromKey(Key), latest: true, cancellationToken);
        if (item is null)
        {
            return entries;
        }

        if (item.Entries is not { } dictionary)
        {
            issues.Add(Key, string.Empty, string.Empty, $"malformed {Key} entry: a regular value, expected a dictionary keyed by dht prefix");
            return entries;
        }

        foreach (var entry in dictionary)
        {
            if (entry.ExpirationTime <= now)
            {
                continue;
            }

            if (SubkeyText(entry.Subkey.Span) is not { } text)
            {
                var kind = KindOf(entry.Subkey.Span);
                issues.Add(Key, kind, string.Empty, $"malformed {Key} entry: the subkey is a msgpack {kind}, expected a str dht prefix");
                continue;
            }

            var shown = Shown(text);
            if (!ModuleUid.IsValidPrefix(text))
            {
                issues.Add(Key, shown, shown, $"malformed {Key} entry: '{shown}' is not a dht prefix (empty, or with '.' or ' ')");
                continue;
            }

            if (!ModelInfoCodec.TryDecode(entry.Value.Span, out var info, out var error))
            {
                issues.Add(Key, shown, shown, $"malformed {Key} entry: {error}");
                continue;
            }

            if (entries.Count == MaxModelPrefixes)
            {
                issues.Add(Key, shown, shown, $"{Key} lists more than {MaxModelPrefixes} prefixes; the rest are not crawled");
                break;
            }

            entries.Add(new ModelEntry(text, info!));
        }

        return entries;
    }

    private async Task<MapModelReport> ReadModelAsync(ModelGroup model, DateTimeOffset now, CrawlIssues issues, CancellationToken cancellationToken)
    {
        // Every block key of every merged prefix, read a bounded number at a time.
        var keys = model.Prefixes.SelectMany(p => Enumerable.Range(0, model.NumBlocks).Select(b => (Prefix: p, Block: b))).ToArray();
        var items = new DhtItem?[keys.Length];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, keys.Length),
            new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrentGets, CancellationToken = cancellationToken },
            async (i, token) => items[i] = await _dht.GetAsync(DhtId.FromKey(ModuleUid.Format(keys[i].Prefix, keys[i].Block)), latest: true, token));

        var dhtNow = DhtTime.ToDhtTime(now);
        var servers = new Dictionary<(string PeerId, int Start, int End), (ServerInfo Info, double Expiration)>();
        for (var i = 0; i < keys.Length; i++)
        {
            if (items[i] is not { } item)
            {
                continue;
            }

            var (prefix, block) = keys[i];
            var key = ModuleUid.Format(prefix, block);
            if (item.Entries is not { } dictionary)
            {
                issues.Add(key, string.Empty, string.Empty, $"malformed server record under {prefix}: a regular value, expected a dictionary keyed by peer id");
                continue;
            }

            foreach (var entry in dictionary)
            {
                if (entry.ExpirationTime > dhtNow && ReadServer(entry, prefix, key, block, model.NumBlocks, issues) is { } server)
                {
                    var id = (server.PeerId, server.Info.StartBlock!.Value, server.Info.EndBlock!.Value);

                    // The same record sits under every block of its span and under both prefixes; the latest wins.
                    if (!servers.TryGetValue(id, out var held) || entry.ExpirationTime > held.Expiration)
                    {
                        servers[id] = (server.Info, entry.ExpirationTime);
                    }
                }
            }
        }

        var rows = servers
            .Select(s => Row(s.Key.PeerId, s.Value.Info, s.Value.Expiration, now))
            .OrderBy(static r => r.Span.Start)
            .ThenBy(static r => r.PeerId, StringComparer.Ordinal)
            .ThenBy(static r => r.Span.End)
            .ToList();
        var coverage = new int[model.NumBlocks];
        foreach (var row in rows.Where(static r => r.State == StateName(ServerState.Online)))
        {
            for (var b = row.Span.Start; b < row.Span.End; b++)
            {
                coverage[b]++;
            }
        }

        var name = ModelName(model.Repository, model.Prefix);
        return new MapModelReport(
            name,
            name[(name.LastIndexOf('/') + 1)..],
            model.Prefix,
            model.Repository ?? string.Empty,
            model.NumBlocks,
            coverage.All(static c => c > 0) ? "healthy" : "broken",
            rows,
            model.Prefixes,
            coverage);
    }

    private static (string PeerId, ServerInfo Info)? ReadServer(
        DhtDictionaryEntry entry, string prefix, string key, int block, int numBlocks, CrawlIssues issues)
    {
        if (ServerRecordReader.TryRead(entry, block, numBlocks, out var record, out var subkey, out var peerId, out var reason))
        {
            return (record.PeerId, record.Info);
        }

        issues.Add(key, subkey, peerId, $"malformed server record under {prefix}: {reason}");
        return null;
    }

    private static MapServerRow Row(string peerId, ServerInfo info, double expiration, DateTimeOffset now)
    {
        var state = StateName(info.State);
        var serverInfo = new MapServerInfo(
            state,
            info.Throughput,
            info.StartBlock!.Value,
            info.EndBlock!.Value,
            info.PublicName,
            info.Version,
            info.NetworkRps,
            info.ForwardRps,
            info.InferenceRps,
            info.TorchDtype,
            info.QuantType,
            info.UsingRelay,
            info.CacheTokensLeft,
            info.TrustAttestations.Count);
        var carbon = info.Carbon is { } c ? new MapServerCarbon(c.Measured, c.Source, c.EnergyJoules, c.AveragePowerWatts, c.RecordedAt) : null;
        return new MapServerRow(
            peerId,
            "..." + peerId[Math.Max(0, peerId.Length - 6)..],
            !string.IsNullOrEmpty(info.PublicName),
            state,

            // Location needs a geo-IP service on the internet, and the DHT records carry no addresses.
            new MapPeerIpInfo(null, []),
            new MapSpan(peerId, serverInfo.StartBlock, serverInfo.EndBlock, serverInfo),
            info.TrustAttestations.Any(a => FiduciaryPledge.Verify(a, now, out _)),
            carbon,
            DhtTime.ToDateTimeOffset(expiration));
    }

    private sealed record ModelEntry(string Prefix, ModelInfo Info);

    private sealed record ModelGroup(string Prefix, IReadOnlyList<string> Prefixes, string? Repository, int NumBlocks);

    /// <summary>The issues of one crawl: each distinct one listed and logged once (a bad record sits under many keys).</summary>
    private sealed class CrawlIssues(ILogger logger)
    {
        private readonly HashSet<(string PeerId, string Error)> _seen = [];
        private readonly List<MapReachabilityIssue> _items = [];

        public IReadOnlyList<MapReachabilityIssue> Items => _items;

        public void Add(string key, string subkey, string peerId, string error)
        {
            if (_seen.Add((peerId, error)))
            {
                _items.Add(new MapReachabilityIssue(peerId, error));
                logger.MapRecordSkipped(key, subkey, error);
            }
        }
    }
}
