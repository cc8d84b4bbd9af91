// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using KwaaiNet.Contracts.Messages;
using KwaaiNet.Contracts.Node;
using KwaaiNet.Petals.Gateway;
using KwaaiNet.Petals.Map;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Selection;

/// <summary>
/// Chooses the node's model and span from the network map and sends them to the workers as <see cref="ServeSpan"/>:
/// once, after the first crawl (<see cref="NetworkMap.Updated"/>), and again only while no worker serves anything. An operator's
/// <c>KwaaiNet:Node:start_block</c> turns it off (explicit configuration wins: nothing is sent).
/// <list type="bullet">
/// <item>Model: when the configured model is Ollama-style (no <c>/</c>), the local model that
/// <see cref="ModelSelection.PickBestModel"/> picks, with the map's dht prefix and repository; a Hugging Face
/// repository is kept, and the announcer derives its prefix (upstream <c>src/main.rs</c>).</item>
/// <item>Span: <c>blocks</c> blocks by <see cref="BlockSelection.ChooseBestBlocks"/> over the model's report, leaving
/// this node's own rows out; from block 0 when the map does not know the model (the worker clamps to the model).</item>
/// </list>
/// While a worker serves, Petals' rebalancing check runs every <see cref="BalanceCheckPeriod"/> and moves the span when
/// the swarm gains by it. Workers report through <see cref="WorkerSpanStatus"/>. The first choice waits one heartbeat period from start
/// unless a worker has spoken, so that a worker resuming a persisted span is heard before a new span is sent.
/// </summary>
internal sealed class SpanSelectionService : BackgroundService
{
    /// <summary>A worker not heard from for this long holds no span (three missed heartbeats).</summary>
    internal static readonly TimeSpan WorkerSilence = 3 * WorkerSpanStatus.HeartbeatPeriod;

    /// <summary>
    /// How often a serving node checks whether moving its span would help the swarm (Petals'
    /// <c>mean_balance_check_period</c>, 120 s).
    /// </summary>
    internal static readonly TimeSpan BalanceCheckPeriod = TimeSpan.FromSeconds(120);

    private readonly NodeOptions _node;
    private readonly LocalModelCatalog _catalog;
    private readonly IPublishEndpoint _publisher;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<SpanSelectionService> _logger;
    private readonly INodeGateway? _gateway;
    private readonly NetworkMap _map;
    private readonly DateTimeOffset _createdAt;
    private readonly Channel<MapStateDocument> _updates =
        Channel.CreateBounded<MapStateDocument>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });

    private readonly ConcurrentDictionary<string, WorkerSpanStatus> _workers = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _selecting = new(1, 1);
    private ServeSpan? _lastSent;
    private DateTimeOffset _lastBalanceCheck = DateTimeOffset.MinValue;

    public SpanSelectionService(
        NetworkMap map,
        IOptions<NodeOptions> nodeOptions,
        LocalModelCatalog catalog,
        IPublishEndpoint publisher,
        TimeProvider timeProvider,
        ILogger<SpanSelectionService> logger,
        INodeGateway? gateway = null)
    {
        _node = nodeOptions.Value;
        _catalog = catalog;
        _publisher = publisher;
        _timeProvider = timeProvider;
        _logger = logger;
        _gateway = gateway;
        _createdAt = timeProvider.GetUtcNow();
        _map = map;
        _map.Updated += OnMapUpdated;
    }

    /// <summary>The last command sent, or null.</summary>
    public ServeSpan? LastSent => Volatile.Read(ref _lastSent);

    /// <summary>
    /// Hands a new map to the service (each crawl does, through <see cref="NetworkMap.Updated"/>); it selects on the
    /// latest one it has when it gets to it.
    /// </summary>
    public void MapUpdated(MapStateDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        _updates.Writer.TryWrite(document);
    }

    /// <summary>Keeps a worker's latest status (a redelivered older one is dropped); a stopped worker holds no span.</summary>
    public void Observe(WorkerSpanStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        _workers.AddOrUpdate(status.WorkerId, status, (_, held) => held.At > status.At ? held : status);
    }

    /// <summary>True while some worker reported loading or serving a span within <see cref="WorkerSilence"/>.</summary>
    public bool AnyWorkerHoldsSpan()
    {
        var now = _timeProvider.GetUtcNow();
        return _workers.Values.Any(w => w.State is WorkerSpanState.Loading or WorkerSpanState.Serving && now - w.At < WorkerSilence);
    }

    /// <summary>
    /// Chooses a model and span from <paramref name="document"/> and publishes the <see cref="ServeSpan"/>, unless
    /// start_block is configured, a worker holds a span, or the last command is younger than
    /// <see cref="WorkerSilence"/> (its workers may still be about to report). While one worker serves, at most every
    /// <see cref="BalanceCheckPeriod"/> it checks Petals' rebalancing rule instead
    /// (<see cref="BlockSelection.ShouldChooseOtherBlocks"/>) and moves the span when the swarm gains by it. Returns the
    /// command sent, or null.
    /// </summary>
    public async Task<ServeSpan?> SelectAsync(MapStateDocument document, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (_node.StartBlock is { } pinned)
        {
            _logger.SpanSelectionOff(pinned);
            return null;
        }

        await _selecting.WaitAsync(cancellationToken);
        try
        {
            var now = _timeProvider.GetUtcNow();
            if (_lastSent is { } last && now - last.IssuedAt < WorkerSilence)
            {
                return null;
            }

            var holdsSpan = AnyWorkerHoldsSpan();
            if (holdsSpan && now - _lastBalanceCheck < BalanceCheckPeriod)
            {
                return null;
            }

            var (known, localPeerId) = await LocalPeerIdAsync(cancellationToken);
            if (!known)
            {
                return null;
            }

            var command = holdsSpan ? Rebalance(document, localPeerId, now) : Choose(document, localPeerId, now);
            if (command is null)
            {
                return null;
            }

            try
            {
                await _publisher.Publish(command, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.ServeSpanPublishFailed(e);
                return null;
            }

            Volatile.Write(ref _lastSent, command);
            _logger.SpanSelected(command.Model, command.StartBlock, command.EndBlock, command.Reason);
            return command;
        }
        finally
        {
            _selecting.Release();
        }
    }

    public override void Dispose()
    {
        _map.Updated -= OnMapUpdated;
        base.Dispose();
        _selecting.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_node.StartBlock is { } pinned)
        {
            _logger.SpanSelectionOff(pinned);
            return;
        }

        try
        {
            while (await _updates.Reader.WaitToReadAsync(stoppingToken))
            {
                var settle = _createdAt + WorkerSpanStatus.HeartbeatPeriod - _timeProvider.GetUtcNow();
                if (_lastSent is null && _workers.IsEmpty && settle > TimeSpan.Zero)
                {
                    _logger.SelectionSettling(settle.TotalSeconds);
                    await Task.Delay(settle, _timeProvider, stoppingToken);
                }

                if (_updates.Reader.TryRead(out var document))
                {
                    try
                    {
                        await SelectAsync(document, stoppingToken);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        _logger.SelectionFailed(e);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private void OnMapUpdated(object? sender, MapStateDocument document) => MapUpdated(document);

    /// <summary>The node's peer id (null without a gateway); not known while the gateway is not up.</summary>
    private async Task<(bool Known, string? PeerId)> LocalPeerIdAsync(CancellationToken cancellationToken)
    {
        if (_gateway is null)
        {
            return (true, null);
        }

        try
        {
            return (true, (await _gateway.GetIdentityAsync(cancellationToken)).PeerId.ToBase58());
        }
        catch (GatewayUnavailableException e)
        {
            _logger.SelectionIdentityUnknown(e.Message);
            return (false, null);
        }
    }

    /// <summary>
    /// Petals' rebalancing (<c>should_choose_other_blocks</c>, checked every <see cref="BalanceCheckPeriod"/>): when the
    /// node's one serving worker would raise the swarm's weakest block by moving, the span it should serve instead.
    /// Several workers, a worker still loading, or a model the map does not show: nothing moves.
    /// </summary>
    private ServeSpan? Rebalance(MapStateDocument document, string? localPeerId, DateTimeOffset now)
    {
        _lastBalanceCheck = now;
        var held = _workers.Values.Where(w => w.State is WorkerSpanState.Loading or WorkerSpanState.Serving && now - w.At < WorkerSilence).ToList();
        if (localPeerId is null || held is not [{ State: WorkerSpanState.Serving } worker])
        {
            return null;
        }

        var reports = document.ModelReports ?? [];
        var report = (worker.DhtPrefix is { } prefix ? reports.FirstOrDefault(r => r.DhtPrefixes.Contains(prefix, StringComparer.Ordinal)) : null)
            ?? ModelSelection.FindReport(worker.Model, reports);
        if (report is null || !BlockSelection.ShouldChooseOtherBlocks(report, localPeerId))
        {
            return null;
        }

        var span = BlockSelection.ChooseBestBlocks(report, worker.EndBlock - worker.StartBlock, localPeerId);
        return span.Start == worker.StartBlock
            ? null
            : new ServeSpan(
                worker.Model, span.Start, span.End, worker.DhtPrefix, worker.Repository,
                string.Create(CultureInfo.InvariantCulture, $"rebalancing: moving from [{worker.StartBlock}, {worker.EndBlock}) raises the swarm's weakest block; {span.Reason}"),
                now);
    }

    private ServeSpan Choose(MapStateDocument document, string? localPeerId, DateTimeOffset now)
    {
        var reports = document.ModelReports ?? [];
        var model = _node.Model;
        MapModelReport? report;
        string? dhtPrefix = null, repository = null;
        string modelReason;
        if (ModelSelection.IsOllamaStyle(model))
        {
            var choice = ModelSelection.PickBestModel(_catalog.ListModels(), reports, model);
            report = choice?.Report;
            if (choice is not null)
            {
                model = choice.Model;
                dhtPrefix = NullIfEmpty(choice.Report.DhtPrefix);
                repository = NullIfEmpty(choice.Report.Repository);
                modelReason = choice.Kept
                    ? string.Create(CultureInfo.InvariantCulture, $"kept the configured {model}, which matches {choice.Report.Name} ({choice.ServerCount} servers) as well as the best local model")
                    : string.Create(CultureInfo.InvariantCulture, $"{model} is the local model that best matches the map ({choice.Report.Name}, {choice.ServerCount} servers)");
            }
            else
            {
                modelReason = $"no local model matches the map; keeping the configured {model}";
            }
        }
        else
        {
            // Upstream keeps a Hugging Face repository and clears the map's prefix and repository for it.
            report = ModelSelection.FindReport(model, reports);
            modelReason = $"the configured {model} is a Hugging Face repository and is kept";
        }

        if (report is null || report.NumBlocks < 1)
        {
            return new ServeSpan(
                model, 0, _node.Blocks, dhtPrefix, repository,
                string.Create(CultureInfo.InvariantCulture, $"{modelReason}; the map does not know it, so blocks [0, {_node.Blocks}) (cut to the model by the worker)"),
                now);
        }

        var span = BlockSelection.ChooseBestBlocks(report, _node.Blocks, localPeerId);
        return new ServeSpan(model, span.Start, span.End, dhtPrefix, repository, $"{modelReason}; {span.Reason}", now);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
