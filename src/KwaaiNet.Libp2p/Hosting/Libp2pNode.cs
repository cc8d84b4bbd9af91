// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using KwaaiNet.Contracts.Node;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Network;
using KwaaiNet.Libp2p.Peers;
using KwaaiNet.Libp2p.Protocols;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Libp2p.Hosting;

/// <summary>
/// The gateway's libp2p node: the host with the node's persistent identity on the configured TCP port, identify,
/// ping, the bandwidth probe, kad peer routing, p2pd unary calls, the inbound routes to services, and the bootstrap dialer.
/// </summary>
internal sealed class Libp2pNode : IHostedService, IAsyncDisposable, ILocalLibp2pNode
{
    private readonly NodeOptions _node;
    private readonly GatewayOptions _gateway;
    private readonly InboundRouter _router;
    private readonly BootstrapDialer _bootstrap;
    private int _disposed;

    public Libp2pNode(
        NodeIdentityProvider identity,
        IOptions<NodeOptions> node,
        IOptions<GatewayOptions> gateway,
        InboundRouter router,
        ILoggerFactory loggerFactory,
        TimeProvider time)
    {
        _node = node.Value;
        _gateway = gateway.Value;
        _router = router;
        PeerStore = new PeerStore(time);
        Host = new Libp2pHost(identity.Identity, PeerStore, new Libp2pHostOptions(), loggerFactory, time);
        Identify = new IdentifyService(Host, AgentVersion.Value, AnnouncedAddresses, loggerFactory.CreateLogger<IdentifyService>());
        Kad = new KadDht(Host, loggerFactory.CreateLogger<KadDht>());
        Unary = new UnaryCalls(Host, loggerFactory.CreateLogger<UnaryCalls>(), _gateway.UnaryMaxMessageSize);
        _bootstrap = new BootstrapDialer(Host, Kad, _node.InitialPeers, _gateway.BootstrapMaxBackoff, loggerFactory.CreateLogger<BootstrapDialer>(), time);
    }

    public Libp2pHost Host { get; }

    public PeerStore PeerStore { get; }

    public IdentifyService Identify { get; }

    public KadDht Kad { get; }

    public UnaryCalls Unary { get; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var listen = ListenAddresses();
        PingService.Register(Host);
        BandwidthService.Register(Host);
        Identify.Start();
        Kad.Start();
        _router.Register(Host, Unary);
        await Host.StartAsync(listen, cancellationToken).ConfigureAwait(false);
        _bootstrap.Start();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _bootstrap.DisposeAsync().ConfigureAwait(false);
        await Host.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        // Registered both as a singleton and as a hosted service, so the container may dispose it twice.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _bootstrap.DisposeAsync().ConfigureAwait(false);
        await Host.DisposeAsync().ConfigureAwait(false);
        Identify.Dispose();
    }

    private List<Multiaddr> ListenAddresses()
    {
        if (_gateway.ListenAddresses.Count == 0)
        {
            return [Multiaddr.Parse(string.Create(CultureInfo.InvariantCulture, $"/ip4/0.0.0.0/tcp/{_node.Port}"))];
        }

        var addresses = new List<Multiaddr>();
        for (var i = 0; i < _gateway.ListenAddresses.Count; i++)
        {
            var text = _gateway.ListenAddresses[i];
            if (!Multiaddr.TryParse(text, out var address) || !address.TryGetTcpTarget(out _, out _))
            {
                throw new OptionsValidationException(
                    GatewayOptions.SectionName,
                    typeof(GatewayOptions),
                    [$"{GatewayOptions.SectionName}:ListenAddresses:{i} = '{text}' is not a TCP multiaddr such as /ip4/0.0.0.0/tcp/8080."]);
            }

            addresses.Add(address);
        }

        return addresses;
    }

    private List<Multiaddr> AnnouncedAddresses()
    {
        var announced = new List<Multiaddr>();
        foreach (var text in AnnounceAddresses.From(_node))
        {
            if (Multiaddr.TryParse(text, out var address))
            {
                announced.Add(address);
            }
        }

        return announced;
    }
}
