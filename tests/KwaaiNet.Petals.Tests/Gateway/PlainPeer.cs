// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Network;
using KwaaiNet.Libp2p.Peers;
using KwaaiNet.Libp2p.Protocols;
using Microsoft.Extensions.Logging.Abstractions;

namespace KwaaiNet.Petals.Tests.Gateway;

/// <summary>A bare libp2p host on 127.0.0.1 that answers the bandwidth probe (or not), counting the probes it serves.</summary>
internal sealed class PlainPeer : IAsyncDisposable
{
    private int _probes;

    private PlainPeer(Libp2pHost host) => Host = host;

    public Libp2pHost Host { get; }

    public PeerId PeerId => Host.PeerId;

    /// <summary>The listen address with /p2p, as another node dials it.</summary>
    public Multiaddr Address => Host.ListenAddresses[0].WithPeerId(Host.PeerId);

    /// <summary>The bandwidth probes this peer has been asked for.</summary>
    public int Probes => Volatile.Read(ref _probes);

    public static async Task<PlainPeer> StartAsync(bool servesBandwidth, CancellationToken cancellationToken)
    {
        var host = new Libp2pHost(NodeIdentity.GenerateEd25519(), new PeerStore(TimeProvider.System), new Libp2pHostOptions(), NullLoggerFactory.Instance);
        var peer = new PlainPeer(host);
        if (servesBandwidth)
        {
            BandwidthService.Register(host);
            Assert.True(host.Protocols.TryResolve(BandwidthService.ProtocolId, out var serve));
            host.Protocols.Add(BandwidthService.ProtocolId, (stream, token) =>
            {
                Interlocked.Increment(ref peer._probes);
                return serve(stream, token);
            });
        }

        await host.StartAsync([Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")], cancellationToken);
        return peer;
    }

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
