// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Reflection;
using KwaaiNet.Contracts.Messages;
using KwaaiNet.Contracts.Node;
using KwaaiNet.Hivemind.Client;
using KwaaiNet.Petals.Gateway;
using KwaaiNet.Petals.Hosting;
using KwaaiNet.Petals.Map;
using KwaaiNet.Petals.Records;
using KwaaiNet.Petals.Trust;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Announcing;

/// <summary>
/// Announces the blocks this node's workers serve (docs/records.md §2): every block under the KwaaiNet prefix and,
/// while Petals serving is on, under Petals' <c>-hf</c> prefix, plus the <c>_petals.models</c> and
/// <c>_kwaai.inference.nodes</c> entries; renewed every period (± jitter) before the records expire, at once when a
/// worker's span or state changes, and rewritten offline for spans no longer served and for all at shutdown. Records
/// are stored through the dht service, which puts them on the nearest nodes and every bootstrap.
/// </summary>
internal sealed class NodeAnnouncer(
    WorkerSpans workers,
    IDhtClient dht,
    INodeGateway gateway,
    NetworkMap map,
    MapCrawlerService crawler,
    AnnouncedFigures figures,
    IOptions<AnnouncerOptions> options,
    IOptions<NodeOptions> node,
    TimeProvider time,
    ILogger<NodeAnnouncer> logger) : BackgroundService
{
    /// <summary>This product's version, announced in <c>public_name</c> (the informational version without build metadata).</summary>
    public static readonly string ProductVersion = ReadProductVersion();

    private readonly AnnouncerOptions _options = options.Value;
    private readonly Lock _lock = new();
    private IReadOnlyList<AnnouncedNode> _announced = [];
    private NodeIdentity? _identity;
    private string? _pledge;
    private DateTimeOffset? _lastAnnounced;

    /// <summary>What was announced last (one entry per model), empty before the first announcement.</summary>
    public IReadOnlyList<AnnouncedNode> Announced
    {
        get
        {
            lock (_lock)
            {
                return _announced;
            }
        }
    }

    /// <summary>When records were last stored; null before the first time.</summary>
    public DateTimeOffset? LastAnnounced
    {
        get
        {
            lock (_lock)
            {
                return _lastAnnounced;
            }
        }
    }

    /// <summary>Announces now instead of at the next renewal.</summary>
    public void RequestAnnounce() => workers.Poke();

    /// <inheritdoc/>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // A configured pledge that cannot be read stops the service at start with the reason, as a bad setting should.
        if (node.Value.FiduciaryPledge is { Length: > 0 } path)
        {
            _pledge = FiduciaryPledge.ReadCompact(path);
            logger.PledgeLoaded(path);
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        var announced = Announced;
        if (announced.Count == 0 || _identity is null)
        {
            return;
        }

        // The loop has stopped; the offline records go out once, bounded so that a dead DHT cannot hold up shutdown.
        using var timeout = new CancellationTokenSource(_options.ShutdownTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        var now = time.GetUtcNow();
        var records = announced.SelectMany(n => AnnouncementRecords.Offline(n, now, _options.RecordTtl)).ToList();
        try
        {
            var stored = await StoreAsync(records, linked.Token).ConfigureAwait(false);
            logger.AnnouncedOffline(records.Count, stored);
        }
        catch (Exception ex) when (ex is DhtUnavailableException or OperationCanceledException)
        {
            logger.OfflineFailed(ex.Message);
        }
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            logger.AnnouncingDisabled();
            return;
        }

        var nextRenewal = DateTimeOffset.MinValue;
        string? lastFingerprint = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            var statuses = workers.Current(now - _options.WorkerTimeout);
            var fingerprint = Fingerprint(statuses);
            if (now >= nextRenewal || fingerprint != lastFingerprint)
            {
                try
                {
                    await AnnounceAsync(statuses, stoppingToken).ConfigureAwait(false);
                    lastFingerprint = fingerprint;
                    nextRenewal = time.GetUtcNow() + NextPeriod();
                }
                catch (Exception ex) when (ex is DhtUnavailableException or GatewayUnavailableException)
                {
                    logger.AnnounceFailed(ex.Message, _options.RetryDelay.TotalSeconds);
                    nextRenewal = time.GetUtcNow() + _options.RetryDelay;
                }
                catch (ArgumentException ex)
                {
                    // A worker reported a span the records cannot carry (outside its model): said once per change.
                    logger.AnnounceRefused(ex.Message);
                    lastFingerprint = fingerprint;
                    nextRenewal = time.GetUtcNow() + NextPeriod();
                }
            }

            // Wake at the renewal, on a change, and often enough to notice a worker that went silent.
            var wait = Min(nextRenewal - time.GetUtcNow(), _options.WorkerTimeout / 4);
            if (await WaitAsync(wait, stoppingToken).ConfigureAwait(false))
            {
                // A worker's change or an explicit request: announce on the next turn.
                nextRenewal = DateTimeOffset.MinValue;
            }
        }
    }

    private async Task AnnounceAsync(IReadOnlyList<WorkerSpanStatus> statuses, CancellationToken cancellationToken)
    {
        var active = Active(statuses);
        var previous = Announced;
        if (active.Count == 0 && previous.Count == 0)
        {
            logger.NothingToAnnounce(statuses.Count);
            return;
        }

        var identity = _identity ??= await gateway.GetIdentityAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var current = Build(identity, active);
        var records = current.SelectMany(n => AnnouncementRecords.Create(n, now, _options.RecordTtl)).ToList();

        // Spans announced before and no longer served go offline at once, except blocks still served by a current span
        // (a block record is one per peer: the offline value would replace the live one).
        var live = records.Select(static r => r.Key).ToHashSet(StringComparer.Ordinal);
        var offline = Gone(previous, current).SelectMany(n => AnnouncementRecords.Offline(n, now, _options.RecordTtl)).Where(r => !live.Contains(r.Key)).ToList();
        records.AddRange(offline);
        var stored = await StoreAsync(records, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            _announced = current;
            _lastAnnounced = now;
        }

        if (logger.IsEnabled(LogLevel.Information))
        {
            var spans = string.Join(", ", current.SelectMany(static n => n.Spans.Select(s => $"{n.Model} [{s.StartBlock}, {s.EndBlock}) {s.State} at {s.Throughput:0.##} rps")));
            logger.Announced(spans.Length == 0 ? "nothing" : spans, offline.Count, stored, records.Count, identity.PeerId.ToBase58());
        }

        // The node's own map shows the change now rather than at the next crawl.
        crawler.RequestCrawl();
    }

    /// <summary>The statuses of spans being loaded or served whose model size is known (a span is announced from then on).</summary>
    private static List<WorkerSpanStatus> Active(IReadOnlyList<WorkerSpanStatus> statuses) =>
        [.. statuses.Where(static s => s.State is WorkerSpanState.Loading or WorkerSpanState.Serving
            && s.TotalBlocks > 0 && s.StartBlock >= 0 && s.StartBlock < Math.Min(s.EndBlock, s.TotalBlocks))];

    private List<AnnouncedNode> Build(NodeIdentity identity, List<WorkerSpanStatus> active)
    {
        if (active.Count == 0)
        {
            return [];
        }

        var carbon = map.Snapshot.LatestCarbonSample is { } sample
            ? new ServerCarbon(sample.Measured, sample.Source, sample.EnergyJoules, sample.AveragePowerWatts, sample.RecordedAt)
            : null;
        List<AnnouncedNode> nodes = [];
        foreach (var group in active.GroupBy(static s => (s.Model, s.DhtPrefix, s.Repository, s.TotalBlocks)))
        {
            List<ServedSpan> spans = [];
            foreach (var s in group.DistinctBy(static s => (s.StartBlock, s.EndBlock, s.State)))
            {
                var rates = figures.ForSpan(s, identity.UsingRelay);
                spans.Add(new ServedSpan(
                    s.StartBlock,
                    Math.Min(s.EndBlock, s.TotalBlocks),
                    s.State == WorkerSpanState.Serving ? ServerState.Online : ServerState.Joining,
                    rates.Throughput,
                    Math.Max(0, s.CacheTokensLeft),
                    s.DataType)
                {
                    NetworkRps = rates.NetworkRps,
                });
            }

            nodes.Add(new AnnouncedNode
            {
                Model = group.Key.Model,
                MapDhtPrefix = group.Key.DhtPrefix,
                Repository = group.Key.Repository,
                TotalBlocks = group.Key.TotalBlocks,
                Spans = spans,
                PeerId = identity.PeerId,
                PublicName = node.Value.EffectivePublicName,
                ProductVersion = ProductVersion,
                UsingRelay = identity.UsingRelay,
                PledgeAttestation = _pledge,
                Carbon = carbon,
                PetalsServing = _options.PetalsServing,
            });
        }

        return nodes;
    }

    /// <summary>The spans of <paramref name="before"/> that <paramref name="now"/> no longer serves, per model.</summary>
    private static List<AnnouncedNode> Gone(IReadOnlyList<AnnouncedNode> before, IReadOnlyList<AnnouncedNode> now)
    {
        List<AnnouncedNode> gone = [];
        foreach (var previous in before)
        {
            var kept = now.Where(n => n.Model == previous.Model && n.MapDhtPrefix == previous.MapDhtPrefix)
                .SelectMany(static n => n.Spans.Select(static s => (s.StartBlock, s.EndBlock))).ToHashSet();
            var dropped = previous.Spans.Where(s => !kept.Contains((s.StartBlock, s.EndBlock))).ToList();
            if (dropped.Count > 0)
            {
                gone.Add(previous with { Spans = dropped });
            }
        }

        return gone;
    }

    private async Task<int> StoreAsync(List<Records.AnnouncementRecord> records, CancellationToken cancellationToken)
    {
        const int MaxItemsPerStore = 1024;
        var stored = 0;
        foreach (var chunk in records.Chunk(MaxItemsPerStore))
        {
            var outcomes = await dht.StoreAsync([.. chunk.Select(static r => r.ToStoreItem())], cancellationToken).ConfigureAwait(false);
            stored += outcomes.Count(static o => o.Stored);
        }

        return stored;
    }

    private static string Fingerprint(IReadOnlyList<WorkerSpanStatus> statuses) =>
        string.Join('|', statuses.Where(static s => s.State != WorkerSpanState.Stopped)
            .Select(static s => $"{s.Model}/{s.DhtPrefix}/{s.TotalBlocks}/{s.StartBlock}/{s.EndBlock}/{s.State}/{s.DecodeTokensPerSecond}")
            .Order(StringComparer.Ordinal));

    private TimeSpan NextPeriod()
    {
        var jitter = _options.RenewalJitter.TotalSeconds * ((Random.Shared.NextDouble() * 2) - 1);
        return _options.RenewalPeriod + TimeSpan.FromSeconds(jitter);
    }

    private async Task<bool> WaitAsync(TimeSpan wait, CancellationToken stoppingToken)
    {
        if (wait <= TimeSpan.Zero)
        {
            return false;
        }

        using var timeout = new CancellationTokenSource(wait, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stoppingToken);
        try
        {
            return await workers.Changes.ReadAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The wait ran out, or the host is stopping (the loop checks).
            return false;
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string ReadProductVersion()
    {
        var version = typeof(NodeAnnouncer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }
}
