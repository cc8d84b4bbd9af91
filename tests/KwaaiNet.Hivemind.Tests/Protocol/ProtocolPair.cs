// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf;
using KwaaiNet.Hivemind.Protocol;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Storage;
using KwaaiNet.Hivemind.Wire;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Protocols;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace KwaaiNet.Hivemind.Tests.Protocol;

/// <summary>A server node and a client identity on an in-memory network, with a fake clock.</summary>
internal sealed class ProtocolPair : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private ProtocolPair(DhtOptions options)
    {
        Time = new FakeTimeProvider(Start);
        Network = new InMemoryDhtNetwork();
        ServerPeer = NodeIdentity.GenerateEd25519().PeerId;
        ClientPeer = NodeIdentity.GenerateEd25519().PeerId;
        ServerStore = new InMemoryDhtLocalStore(Options.Create(options), Time);
        Server = new DhtProtocol(DhtId.Random(), ServerStore, Network.TransportFor(ServerPeer), options, Time, NullLogger.Instance);
        Network.Add(ServerPeer, Server.ServeAsync);
        ClientStore = new InMemoryDhtLocalStore(Options.Create(options), Time);
        Client = new DhtProtocol(DhtId.Random(), ClientStore, Network.TransportFor(ClientPeer), options, Time, NullLogger.Instance);
        Network.Add(ClientPeer, Client.ServeAsync);
    }

    public FakeTimeProvider Time { get; }

    public InMemoryDhtNetwork Network { get; }

    public PeerId ServerPeer { get; }

    public PeerId ClientPeer { get; }

    public InMemoryDhtLocalStore ServerStore { get; }

    public InMemoryDhtLocalStore ClientStore { get; }

    public DhtProtocol Server { get; }

    public DhtProtocol Client { get; }

    public double Now => DhtTime.Now(Time);

    public NodeInfo ClientInfo => new() { NodeId = ByteString.CopyFrom(Client.NodeId.ToBytes()) };

    public static ProtocolPair Create(Action<DhtOptions>? configure = null)
    {
        var options = new DhtOptions();
        configure?.Invoke(options);
        return new ProtocolPair(options);
    }

    /// <summary>Sends raw request bytes to the server as the client peer; returns the reply or the error text.</summary>
    public async Task<UnaryResult> RawAsync(string method, byte[] request) =>
        await Server.ServeAsync(new UnaryRequest(ClientPeer, DhtProtocol.HandlerName(null, method), request), TestContext.Current.CancellationToken);

    public async Task<TReply> CallAsync<TReply>(string method, IMessage request, MessageParser<TReply> parser)
        where TReply : IMessage<TReply>
    {
        var result = await RawAsync(method, request.ToByteArray());
        Assert.Null(result.Error);
        return parser.ParseFrom(result.Response!.Value.Span);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Client.DisposeAsync();
    }
}
