// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Yamux;
using KwaaiNet.Testing;

namespace KwaaiNet.Libp2p.Tests.Yamux;

/// <summary>Two of our sessions over one loopback TCP connection: the client is the initiator.</summary>
internal sealed class YamuxPair : IAsyncDisposable
{
    private readonly LoopbackSockets _sockets;

    private YamuxPair(LoopbackSockets sockets, YamuxSession client, YamuxSession server)
    {
        _sockets = sockets;
        Client = client;
        Server = server;
    }

    public YamuxSession Client { get; }

    public YamuxSession Server { get; }

    public static async Task<YamuxPair> CreateAsync(CancellationToken cancellationToken, YamuxOptions? clientOptions = null,
        YamuxOptions? serverOptions = null)
    {
        var sockets = await LoopbackSockets.CreateAsync(cancellationToken);
        return new YamuxPair(
            sockets,
            YamuxSession.Start(sockets.Client, isInitiator: true, clientOptions ?? YamuxTestKit.NoKeepAlive()),
            YamuxSession.Start(sockets.Server, isInitiator: false, serverOptions ?? YamuxTestKit.NoKeepAlive()));
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync().AsTask().WaitAsync(YamuxTestKit.Guard);
        await Server.DisposeAsync().AsTask().WaitAsync(YamuxTestKit.Guard);
        await _sockets.DisposeAsync();
    }
}
