// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Security.Cryptography;
using KwaaiNet.Contracts.Node;
using KwaaiNet.Hivemind.Node;
using KwaaiNet.Hivemind.Protocol;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Storage;
using KwaaiNet.Libp2p.Multiformats;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace KwaaiNet.Hivemind.Hosting;

/// <summary>
/// The dht module's node for the life of the host: its node id (random, as hivemind's, and kept in Redis so that a
/// restarted service keeps its place in the DHT along with its records), the transport (the in-process libp2p node
/// of the embedded node, else the p2p-gateway's gRPC API), the handlers, and the maintenance loop: bootstrap from
/// <c>initial_peers</c> (retried with backoff until one answers), refresh of stale buckets, purge of expired records.
/// </summary>
internal sealed class DhtRuntime(
    IServiceProvider services,
    IDhtLocalStore store,
    IOptions<DhtOptions> options,
    IOptions<NodeOptions> node,
    TimeProvider time,
    ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromMinutes(5);

    private readonly ILogger _logger = loggerFactory.CreateLogger<DhtRuntime>();
    private readonly CancellationTokenSource _stopping = new();
    private DhtNode? _node;
    private Task? _maintenance;
    private int _disposed;

    /// <summary>The node; null until the host has started.</summary>
    public DhtNode? Node => _node;

    /// <summary>The transport to other nodes.</summary>
    public IDhtTransport? Transport { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var dht = options.Value;
        var nodeId = await LoadNodeIdAsync(dht, cancellationToken).ConfigureAwait(false);
        var local = services.GetService<Libp2p.Hosting.ILocalLibp2pNode>();
        string via;
        if (local is not null)
        {
            Transport = new Libp2pDhtTransport(local.Host, local.Unary);
            via = "the in-process libp2p node";
        }
        else
        {
            Transport = services.GetRequiredService<GatewayDhtTransport>();
            via = "the p2p-gateway at " + dht.Gateway;
        }

        var protocol = new DhtProtocol(nodeId, store, Transport, dht, time, loggerFactory.CreateLogger<DhtProtocol>());
        if (local is not null)
        {
            protocol.RegisterHandlers(local.Unary);
        }

        _node = new DhtNode(protocol, dht, time, loggerFactory.CreateLogger<DhtNode>());
        if (_logger.IsEnabled(LogLevel.Information))
        {
            _logger.NodeStarted(nodeId.ToString(), string.Join(", ", protocol.Protocols), via);
        }

        _maintenance = Task.Run(() => MaintainAsync(_stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_maintenance is not null)
        {
            await _maintenance.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Registered both as a singleton and as a hosted service, so the container may dispose it twice.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_maintenance is not null)
        {
#pragma warning disable VSTHRD003 // The maintenance loop is this class's own thread-pool task; there is no context to deadlock on.
            await _maintenance.ConfigureAwait(false);
#pragma warning restore VSTHRD003
        }

        if (_node is not null)
        {
            await _node.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    /// <summary>Bootstraps (again, after the node is alone) and then runs the periodic refresh and purge.</summary>
    public async Task<int> BootstrapAsync(IReadOnlyList<string> peers, CancellationToken cancellationToken)
    {
        var dhtNode = _node ?? throw new InvalidOperationException("the DHT node has not started");
        var transport = Transport!;
        var ids = new List<Libp2p.Identity.PeerId>();
        var addresses = new List<Multiaddr>();
        foreach (var text in peers)
        {
            var address = Multiaddr.Parse(text);
            if (address.PeerId is not { } peer)
            {
                throw new FormatException($"'{text}' does not end in /p2p/<peer id>");
            }

            ids.Add(peer);
            addresses.Add(address);
        }

        // Each dial is bounded by the RPC timeout (the transport's own dial and handshake timeouts are longer), and the
        // peers are dialled together, so a silent peer delays the answer by one timeout at most.
        await Task.WhenAll(addresses.Select(address => ConnectAsync(transport, address, cancellationToken))).ConfigureAwait(false);
        var answered = await dhtNode.BootstrapAsync(ids, cancellationToken).ConfigureAwait(false);
        _logger.Bootstrapped(answered, ids.Count, dhtNode.RoutingTable.Count);
        return answered;
    }

    private async Task ConnectAsync(IDhtTransport transport, Multiaddr address, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.RpcTimeout);
        try
        {
            await transport.ConnectAsync(address, timeout.Token).ConfigureAwait(false);
        }
        catch (DhtCallException)
        {
            // Unreachable now; the ping fails too, and the caller retries.
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // No connection within the RPC timeout: likewise.
        }
    }

    private async Task MaintainAsync(CancellationToken cancellationToken)
    {
        var peers = node.Value.InitialPeers;
        var retry = FirstRetry;
        var nextPurge = time.GetUtcNow() + options.Value.PurgePeriod;
        var nextRefresh = time.GetUtcNow() + options.Value.RefreshPeriod;
        var bootstrapped = peers.Count == 0;
        var warned = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (!bootstrapped)
                {
                    bootstrapped = await BootstrapAsync(peers, cancellationToken).ConfigureAwait(false) > 0;
                    if (!bootstrapped)
                    {
                        // One warning, then quiet retries (as the gateway's bootstrap dialer): in the split deployment
                        // the first try often comes before the gateway is up.
                        if (warned)
                        {
                            _logger.BootstrapStillUnanswered(peers.Count, retry);
                        }
                        else
                        {
                            _logger.BootstrapUnanswered(peers.Count, retry);
                            warned = true;
                        }
                    }
                    else
                    {
                        warned = false;
                    }
                }

                var now = time.GetUtcNow();
                if (now >= nextPurge)
                {
                    nextPurge = now + options.Value.PurgePeriod;
                    var purged = await store.PurgeExpiredAsync(cancellationToken).ConfigureAwait(false);
                    _logger.RecordsPurged(purged);
                }

                if (now >= nextRefresh && _node is { } dhtNode)
                {
                    nextRefresh = now + options.Value.RefreshPeriod;
                    await dhtNode.RefreshStaleBucketsAsync(options.Value.RefreshPeriod, cancellationToken).ConfigureAwait(false);

                    // Alone again (every peer left): start over from the initial peers.
                    bootstrapped &= dhtNode.RoutingTable.Count > 0 || peers.Count == 0;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _logger.MaintenanceFailed("bootstrap, refresh or purge", ex);
            }

            var delay = bootstrapped ? TimeSpan.FromSeconds(Math.Min(options.Value.PurgePeriod.TotalSeconds, options.Value.RefreshPeriod.TotalSeconds)) : retry;
            retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, MaxRetry.Ticks));
            try
            {
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>The persisted node id in Redis (created with SET NX the first time), else a random one.</summary>
    private async Task<DhtId> LoadNodeIdAsync(DhtOptions dht, CancellationToken cancellationToken)
    {
        if (services.GetService<IConnectionMultiplexer>() is not { } redis)
        {
            return DhtId.Random();
        }

        var key = new RedisKey(dht.RedisKeyPrefix + dht.KeyScope + ":node-id");
        try
        {
            var db = redis.GetDatabase();
            await db.StringSetAsync(key, RandomNumberGenerator.GetBytes(DhtId.Length), when: When.NotExists).WaitAsync(cancellationToken).ConfigureAwait(false);
            byte[]? bytes = await db.StringGetAsync(key).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (bytes is not null && DhtId.TryFromBytes(bytes, out var id))
            {
                return id;
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _logger.StorageUnavailable(ex.Message, ex);
        }

        // Redis is down: serve with a fresh id (records stored now may land on nodes farther from the next id).
        return DhtId.Random();
    }
}
