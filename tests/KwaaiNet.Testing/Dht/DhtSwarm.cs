// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind;
using KwaaiNet.Hivemind.Node;
using KwaaiNet.Hivemind.Protocol;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Storage;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Network;
using KwaaiNet.Libp2p.Peers;
using KwaaiNet.Libp2p.Protocols;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Testing.Dht;

/// <summary>How the nodes of a swarm reach each other.</summary>
public enum SwarmTransport
{
    /// <summary>Real libp2p hosts on 127.0.0.1 (TCP, Noise, Yamux, identify, kad peer routing, p2pd unary calls).</summary>
    Libp2p,

    /// <summary>Direct calls in memory (the same protobuf bytes), for swarms too large for sockets on one machine.</summary>
    InMemory,
}

/// <summary>One node of a <see cref="DhtSwarm"/>.</summary>
public sealed class SwarmNode
{
    internal SwarmNode(DhtNode dht, PeerId peerId, Multiaddr address, IDhtLocalStore store, Libp2pHost? host, IdentifyService? identify)
    {
        Dht = dht;
        PeerId = peerId;
        Address = address;
        Store = store;
        Host = host;
        Identify = identify;
    }

    /// <summary>The DHT node.</summary>
    public DhtNode Dht { get; }

    /// <summary>Its libp2p peer id.</summary>
    public PeerId PeerId { get; }

    /// <summary>Its address with <c>/p2p/</c> (a placeholder address for in-memory swarms).</summary>
    public Multiaddr Address { get; }

    /// <summary>Its local records.</summary>
    public IDhtLocalStore Store { get; }

    /// <summary>False once stopped.</summary>
    public bool IsAlive { get; internal set; } = true;

    internal Libp2pHost? Host { get; }

    /// <summary>Dials <paramref name="address"/> (a multiaddr with <c>/p2p/</c>); libp2p swarms only.</summary>
    public async Task ConnectAsync(Multiaddr address, CancellationToken cancellationToken)
    {
        var host = Host ?? throw new InvalidOperationException("an in-memory node has no libp2p host");
        await host.ConnectAsync(address, cancellationToken).ConfigureAwait(false);
    }

    internal IdentifyService? Identify { get; }
}

/// <summary>
/// A swarm of DHT nodes in this process, each bootstrapped from up to three random earlier nodes, as hivemind's
/// own swarm tests grow theirs. Nodes can be stopped to model churn.
/// </summary>
public sealed class DhtSwarm : IAsyncDisposable
{
    private readonly List<SwarmNode> _nodes = [];
    private readonly SwarmTransport _transport;
    private readonly DhtOptions _options;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly Random _random;

    private DhtSwarm(SwarmTransport transport, DhtOptions options, TimeProvider time, ILoggerFactory loggerFactory, int seed)
    {
        _transport = transport;
        _options = options;
        _time = time;
        _loggerFactory = loggerFactory;
        _random = new Random(seed);
        Network = transport == SwarmTransport.InMemory ? new InMemoryDhtNetwork() : null;
    }

    /// <summary>The nodes, in the order they joined.</summary>
    public IReadOnlyList<SwarmNode> Nodes => _nodes;

    /// <summary>The nodes still running.</summary>
    public IReadOnlyList<SwarmNode> Alive => [.. _nodes.Where(static n => n.IsAlive)];

    /// <summary>The in-memory network, for in-memory swarms.</summary>
    public InMemoryDhtNetwork? Network { get; }

    /// <summary>Starts <paramref name="count"/> nodes, joining them one by one.</summary>
    public static async Task<DhtSwarm> StartAsync(
        int count,
        SwarmTransport transport,
        DhtOptions? options = null,
        TimeProvider? time = null,
        int seed = 1,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        var swarm = new DhtSwarm(transport, options ?? new DhtOptions(), time ?? TimeProvider.System, loggerFactory ?? NullLoggerFactory.Instance, seed);
        try
        {
            for (var i = 0; i < count; i++)
            {
                await swarm.AddNodeAsync(cancellationToken).ConfigureAwait(false);
            }

            return swarm;
        }
        catch
        {
            await swarm.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts one more node and bootstraps it from up to three random running nodes.</summary>
    public async Task<SwarmNode> AddNodeAsync(CancellationToken cancellationToken = default)
    {
        var store = new InMemoryDhtLocalStore(Options.Create(_options), _time);
        SwarmNode node;
        if (_transport == SwarmTransport.InMemory)
        {
            var peer = NodeIdentity.GenerateEd25519().PeerId;
            var transport = Network!.TransportFor(peer);
            var protocol = new DhtProtocol(DhtId.Random(), store, transport, _options, _time, _loggerFactory.CreateLogger<DhtProtocol>());
            Network.Add(peer, protocol.ServeAsync);
            node = new SwarmNode(new DhtNode(protocol, _options, _time, _loggerFactory.CreateLogger<DhtNode>()), peer, Multiaddr.Parse("/ip4/127.0.0.1/tcp/1/p2p/" + peer), store, null, null);
        }
        else
        {
            var host = new Libp2pHost(NodeIdentity.GenerateEd25519(), new PeerStore(TimeProvider.System), new Libp2pHostOptions(), _loggerFactory);
            var identify = new IdentifyService(host, "kwaainet-aspire/swarm", null, _loggerFactory.CreateLogger<IdentifyService>());
            var kad = new KadDht(host, _loggerFactory.CreateLogger<KadDht>());
            var unary = new UnaryCalls(host, _loggerFactory.CreateLogger<UnaryCalls>());
            PingService.Register(host);
            identify.Start();
            kad.Start();
            var protocol = new DhtProtocol(DhtId.Random(), store, new Libp2pDhtTransport(host, unary), _options, _time, _loggerFactory.CreateLogger<DhtProtocol>());
            protocol.RegisterHandlers(unary);
            await host.StartAsync([Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")], cancellationToken).ConfigureAwait(false);
            node = new SwarmNode(new DhtNode(protocol, _options, _time, _loggerFactory.CreateLogger<DhtNode>()), host.PeerId, host.ListenAddresses[0].WithPeerId(host.PeerId), store, host, identify);
        }

        var alive = Alive;
        _nodes.Add(node);
        if (alive.Count > 0)
        {
            var bootstrap = alive.OrderBy(_ => _random.Next()).Take(3).ToList();
            if (node.Host is { } nodeHost)
            {
                foreach (var peer in bootstrap)
                {
                    await nodeHost.ConnectAsync(peer.Address, cancellationToken).ConfigureAwait(false);
                }
            }

            await node.Dht.BootstrapAsync([.. bootstrap.Select(static b => b.PeerId)], cancellationToken).ConfigureAwait(false);
        }

        return node;
    }

    /// <summary>Stops a node, as a crash would: it answers nothing from now on.</summary>
    public async Task StopAsync(SwarmNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (!node.IsAlive)
        {
            return;
        }

        node.IsAlive = false;
        Network?.Remove(node.PeerId);
        if (node.Host is { } host)
        {
            await host.DisposeAsync().ConfigureAwait(false);
            node.Identify!.Dispose();
        }

        await node.Dht.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await StopAsync(node).ConfigureAwait(false);
        }
    }
}
