// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Network;
using KwaaiNet.Libp2p.Peers;
using KwaaiNet.Libp2p.Protocols;
using Microsoft.Extensions.Logging.Abstractions;

namespace KwaaiNet.Petals.Tests.Gateway;

/// <summary>
/// A bare libp2p host on 127.0.0.1 with an echo stream protocol (it writes back what it reads, then closes) and two
/// unary handlers: one that answers the request reversed, one that always fails.
/// </summary>
internal sealed class EchoPeer : IAsyncDisposable
{
    public const string EchoProtocol = "/test/echo/1.0.0";
    public const string ReverseProtocol = "Test.rpc_reverse";
    public const string FailProtocol = "Test.rpc_fail";
    public const string FailText = "KeyError('m.0')";

    private EchoPeer(Libp2pHost host) => Host = host;

    public Libp2pHost Host { get; }

    public PeerId PeerId => Host.PeerId;

    public Multiaddr Address => Host.ListenAddresses[0].WithPeerId(Host.PeerId);

    public static async Task<EchoPeer> StartAsync(CancellationToken cancellationToken)
    {
        var host = new Libp2pHost(NodeIdentity.GenerateEd25519(), new PeerStore(TimeProvider.System), new Libp2pHostOptions(), NullLoggerFactory.Instance);
        host.Protocols.Add(EchoProtocol, static async (stream, token) =>
        {
            await stream.Stream.CopyToAsync(stream.Stream, token);
            await stream.CompleteWritesAsync();
        });
        var unary = new UnaryCalls(host, NullLogger<UnaryCalls>.Instance);
        unary.AddHandler(ReverseProtocol, static (request, _) => Task.FromResult(UnaryResult.Ok(request.Data.ToArray().Reverse().ToArray())));
        unary.AddHandler(FailProtocol, static (_, _) => Task.FromResult(UnaryResult.Fail(FailText)));
        await host.StartAsync([Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")], cancellationToken);
        return new EchoPeer(host);
    }

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
