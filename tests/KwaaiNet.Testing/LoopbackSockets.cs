// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Net;
using System.Net.Sockets;

namespace KwaaiNet.Testing;

/// <summary>
/// Two ends of a real TCP connection on 127.0.0.1 (an ephemeral port): for protocol layers that run over a byte
/// stream, so that tests exercise the same socket behaviour (partial reads, buffering) as the node.
/// </summary>
public sealed class LoopbackSockets : IAsyncDisposable
{
    private LoopbackSockets(Socket client, Socket server)
    {
        ClientSocket = client;
        ServerSocket = server;
        Client = new NetworkStream(client, ownsSocket: true);
        Server = new NetworkStream(server, ownsSocket: true);
    }

    /// <summary>The end that connected (the dialer).</summary>
    public NetworkStream Client { get; }

    /// <summary>The end that accepted (the listener).</summary>
    public NetworkStream Server { get; }

    /// <summary>The dialer's socket, for endpoints or shutting one direction down.</summary>
    public Socket ClientSocket { get; }

    /// <summary>The listener's socket.</summary>
    public Socket ServerSocket { get; }

    /// <summary>Connects a new pair.</summary>
    public static async Task<LoopbackSockets> CreateAsync(CancellationToken cancellationToken = default)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var accept = listener.AcceptAsync(cancellationToken).AsTask();
        await client.ConnectAsync(listener.LocalEndPoint!, cancellationToken).ConfigureAwait(false);
        var server = await accept.ConfigureAwait(false);
        server.NoDelay = true;
        return new LoopbackSockets(client, server);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync().ConfigureAwait(false);
        await Server.DisposeAsync().ConfigureAwait(false);
    }
}
