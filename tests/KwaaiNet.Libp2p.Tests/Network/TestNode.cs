// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Network;
using KwaaiNet.Libp2p.Peers;
using KwaaiNet.Libp2p.Protocols;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KwaaiNet.Libp2p.Tests.Network;

/// <summary>One of our libp2p nodes on 127.0.0.1 with identify, ping, kad and unary calls, as the gateway composes them.</summary>
internal sealed class TestNode : IAsyncDisposable
{
    private TestNode(Libp2pHost host, ILoggerFactory loggerFactory)
    {
        Host = host;
        Identify = new IdentifyService(host, "kwaainet-aspire/test", null, loggerFactory.CreateLogger<IdentifyService>());
        Kad = new KadDht(host, loggerFactory.CreateLogger<KadDht>());
        Unary = new UnaryCalls(host, loggerFactory.CreateLogger<UnaryCalls>(), maxMessageSize: 64 * 1024);
        PingService.Register(host);
        Identify.Start();
        Kad.Start();
    }

    public Libp2pHost Host { get; }

    public IdentifyService Identify { get; }

    public KadDht Kad { get; }

    public UnaryCalls Unary { get; }

    public PeerId PeerId => Host.PeerId;

    /// <summary>The listen address with /p2p, as another node dials it.</summary>
    public Multiaddr Address => Host.ListenAddresses[0].WithPeerId(Host.PeerId);

    public static async Task<TestNode> StartAsync(
        Action<Libp2pHostOptions>? configure = null, NodeIdentity? identity = null, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        var options = new Libp2pHostOptions();
        configure?.Invoke(options);
        loggerFactory ??= NullLoggerFactory.Instance;
        var host = new Libp2pHost(identity ?? NodeIdentity.GenerateEd25519(), new PeerStore(TimeProvider.System), options, loggerFactory);
        var node = new TestNode(host, loggerFactory);
        await host.StartAsync([Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")], cancellationToken);
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        Identify.Dispose();
    }
}
