// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Collections.Concurrent;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Multistream;
using KwaaiNet.Libp2p.Noise;
using KwaaiNet.Libp2p.Peers;
using KwaaiNet.Libp2p.Yamux;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KwaaiNet.Libp2p.Network;

/// <summary>
/// The node's libp2p host: listens on TCP, upgrades every connection with multistream-select, Noise and Yamux,
/// keeps one connection per peer (reused by every caller), routes inbound streams to the handlers in
/// <see cref="Protocols"/>, and closes idle connections.
/// </summary>
public sealed class Libp2pHost : IAsyncDisposable
{
    /// <summary>The stream muxer's protocol id.</summary>
    public const string YamuxProtocol = "/yamux/1.0.0";

    private readonly Libp2pHostOptions _options;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Connection, byte> _connections = new();
    private readonly ConcurrentDictionary<PeerId, Connection> _byPeer = new();
    private readonly ConcurrentDictionary<PeerId, byte> _protected = new();
    private readonly ConcurrentDictionary<string, Task<Connection>> _dials = new(StringComparer.Ordinal);
    private readonly List<Socket> _listeners = [];
    private readonly ConcurrentDictionary<Task, byte> _background = new();
    private int _pendingInbound;
    private IReadOnlyList<Multiaddr> _listenAddresses = [];
    private int _disposed;

    /// <summary>Creates a host for <paramref name="identity"/>; call <see cref="StartAsync"/> to listen.</summary>
    public Libp2pHost(
        NodeIdentity identity, PeerStore peerStore, Libp2pHostOptions? options = null, ILoggerFactory? loggerFactory = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(peerStore);
        Identity = identity;
        PeerStore = peerStore;
        _options = options ?? new Libp2pHostOptions();
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<Libp2pHost>();
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Raised when a connection to a peer is established (inbound or outbound).</summary>
    public event EventHandler<Connection>? Connected;

    /// <summary>Raised when a connection has ended.</summary>
    public event EventHandler<Connection>? Disconnected;

    /// <summary>The node's identity.</summary>
    public NodeIdentity Identity { get; }

    /// <summary>The node's peer id.</summary>
    public PeerId PeerId => Identity.PeerId;

    /// <summary>What the node knows about other peers.</summary>
    public PeerStore PeerStore { get; }

    /// <summary>The protocols the node serves.</summary>
    public ProtocolRegistry Protocols { get; } = new();

    /// <summary>The host's limits and timeouts.</summary>
    public Libp2pHostOptions Options => _options;

    /// <summary>Finds addresses of peers known only by id (kad FIND_NODE); null until a router is set.</summary>
    public IPeerRouting? PeerRouting { get; set; }

    /// <summary>The addresses the host listens on, with the actual ports, without /p2p.</summary>
    public IReadOnlyList<Multiaddr> ListenAddresses => _listenAddresses;

    /// <summary>The open connections.</summary>
    public IReadOnlyCollection<Connection> Connections => [.. _connections.Keys.Where(static c => !c.IsClosed)];

    /// <summary>Starts listening on each TCP address (port 0 picks a free port) and serving inbound connections.</summary>
    public Task StartAsync(IEnumerable<Multiaddr> listenAddresses, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(listenAddresses);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var bound = new List<Multiaddr>();
        foreach (var address in listenAddresses)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!address.TryGetTcpTarget(out var host, out var port) || !IPAddress.TryParse(host, out var ip))
            {
                throw new ArgumentException("Only /ip4 and /ip6 TCP addresses can be listened on, not " + address + ".", nameof(listenAddresses));
            }

            var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (ip.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    socket.DualMode = false;
                }

                socket.Bind(new IPEndPoint(ip, port));
                socket.Listen(512);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                throw new IOException("Cannot listen on " + address + ": " + ex.Message, ex);
            }

            _listeners.Add(socket);
            var local = (IPEndPoint)socket.LocalEndPoint!;
            bound.AddRange(ExpandUnspecified(local));
            Track(AcceptLoopAsync(socket));
        }

        _listenAddresses = bound;

        // Always logged (Information): the operator needs these to give the node's address to others.
        foreach (var address in bound.Select(a => a.WithPeerId(PeerId)))
        {
            _logger.Listening(address);
        }

        Track(ReapIdleConnectionsAsync());
        return Task.CompletedTask;
    }

    /// <summary>
    /// Keeps connections to <paramref name="peer"/> open while idle (bootstrap peers): the idle timeout does not close
    /// them, so the node does not hang up and redial them every few minutes.
    /// </summary>
    public void Protect(PeerId peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        _protected.TryAdd(peer, 0);
    }

    /// <summary>Lets the idle timeout close connections to <paramref name="peer"/> again.</summary>
    public void Unprotect(PeerId peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        _protected.TryRemove(peer, out _);
    }

    /// <summary>The open connection to <paramref name="peer"/>, if any.</summary>
    public Connection? FindConnection(PeerId peer) =>
        _byPeer.TryGetValue(peer, out var connection) && !connection.IsClosed ? connection : null;

    /// <summary>
    /// Connects to <paramref name="address"/>. With a /p2p component the peer's authenticated id must match it, and an
    /// open connection to that peer is reused.
    /// </summary>
    /// <exception cref="DialException">The address cannot be reached or the upgrade failed.</exception>
    public Task<Connection> ConnectAsync(Multiaddr address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        var expected = address.PeerId;
        if (expected is not null && FindConnection(expected) is { } existing)
        {
            return Task.FromResult(existing);
        }

        return DialOnceAsync(expected?.ToString() ?? address.ToString(), () => DialAddressAsync(address, expected), cancellationToken);
    }

    /// <summary>
    /// Connects to <paramref name="peer"/>: reuses an open connection, else tries <paramref name="addresses"/>, the
    /// peerstore's addresses and finally peer routing.
    /// </summary>
    /// <exception cref="DialException">No address worked; the message lists each attempt.</exception>
    public Task<Connection> ConnectAsync(PeerId peer, IEnumerable<Multiaddr>? addresses = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (FindConnection(peer) is { } existing)
        {
            return Task.FromResult(existing);
        }

        if (peer == PeerId)
        {
            throw new ArgumentException("A node cannot dial itself.", nameof(peer));
        }

        var known = (addresses ?? []).ToList();
        return DialOnceAsync(peer.ToString(), () => DialPeerAsync(peer, known), cancellationToken);
    }

    /// <summary>Opens a stream to <paramref name="peer"/> (connecting first when needed) on the first supported protocol.</summary>
    public async Task<PeerStream> OpenStreamAsync(PeerId peer, IReadOnlyList<string> protocols, CancellationToken cancellationToken = default)
    {
        var connection = await ConnectAsync(peer, null, cancellationToken).ConfigureAwait(false);
        return await connection.OpenStreamAsync(protocols, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops listening and closes every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }

        foreach (var connection in _connections.Keys)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            await Task.WhenAll(_background.Keys).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
        }

        _stopping.Dispose();
    }

    private async Task<Connection> DialOnceAsync(string key, Func<Task<Connection>> dial, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);

        // Concurrent callers for the same peer share one dial; the dial itself runs under the host's lifetime so
        // that one caller giving up does not fail the others.
        var mine = new TaskCompletionSource<Connection>(TaskCreationOptions.RunContinuationsAsynchronously);
        var shared = _dials.GetOrAdd(key, mine.Task);
        if (shared == mine.Task)
        {
            Track(RunDialAsync(key, dial, mine));
        }

        return await shared.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task RunDialAsync(string key, Func<Task<Connection>> dial, TaskCompletionSource<Connection> completion)
    {
        try
        {
            completion.SetResult(await dial().ConfigureAwait(false));
        }
#pragma warning disable CA1031 // Every failure goes to the callers waiting on this dial.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            completion.SetException(ex);
        }
        finally
        {
            _dials.TryRemove(KeyValuePair.Create(key, completion.Task));
        }
    }

    private async Task<Connection> DialPeerAsync(PeerId peer, List<Multiaddr> addresses)
    {
        var candidates = addresses.Concat(PeerStore.GetAddresses(peer)).Select(static a => a.WithoutPeerId()).Distinct().ToList();
        if (candidates.Count == 0 && PeerRouting is { } routing)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            timeout.CancelAfter(_options.DialTimeout);
            candidates = [.. (await routing.FindPeerAsync(peer, timeout.Token).ConfigureAwait(false)).Select(static a => a.WithoutPeerId()).Distinct()];
        }

        if (candidates.Count == 0)
        {
            throw new DialException("No addresses known for peer " + peer + ", and peer routing did not find any.");
        }

        var failures = new List<string>();
        foreach (var address in candidates)
        {
            try
            {
                return await DialAddressAsync(address, peer).ConfigureAwait(false);
            }
            catch (DialException ex)
            {
                failures.Add(ex.Message);
            }
        }

        throw new DialException("Could not reach peer " + peer + ": " + string.Join(" ", failures));
    }

    private async Task<Connection> DialAddressAsync(Multiaddr address, PeerId? expected)
    {
        if (!address.TryGetTcpTarget(out var host, out var port))
        {
            throw new DialException("Cannot dial " + address + ": only TCP addresses (ip4, ip6, dns, dns4, dns6) are supported.");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(_options.DialTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
            var connection = await UpgradeAsync(socket, expected, inbound: false, timeout.Token).ConfigureAwait(false);
            PeerStore.AddAddresses(connection.RemotePeer, [address.WithoutPeerId()], _options.AddressTtl);
            return connection;
        }
        catch (Exception ex) when (ex is SocketException or IOException or Libp2pProtocolException or OperationCanceledException)
        {
            socket.Dispose();
            var reason = ex switch
            {
                OperationCanceledException when _stopping.IsCancellationRequested => "the host is stopping",
                OperationCanceledException => "timed out after " + _options.DialTimeout.TotalSeconds + " s",
                _ => ex.Message,
            };
            throw new DialException("Dial " + address + " failed: " + reason, ex);
        }
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                _logger.AcceptFailed(ex.Message);
                continue;
            }

            if (_connections.Count >= _options.MaxConnections || Interlocked.Increment(ref _pendingInbound) > _options.MaxPendingInbound)
            {
                Interlocked.Decrement(ref _pendingInbound);
                _logger.InboundRefused(socket.RemoteEndPoint?.ToString() ?? "?", _connections.Count, _options.MaxConnections);
                socket.Dispose();
                continue;
            }

            Track(ServeInboundAsync(socket));
        }
    }

    private async Task ServeInboundAsync(Socket socket)
    {
        var remote = socket.RemoteEndPoint?.ToString() ?? "?";
        try
        {
            socket.NoDelay = true;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            timeout.CancelAfter(_options.HandshakeTimeout);
            await UpgradeAsync(socket, expected: null, inbound: true, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or IOException or Libp2pProtocolException or OperationCanceledException)
        {
            socket.Dispose();
            if (!_stopping.IsCancellationRequested)
            {
                _logger.InboundHandshakeFailed(remote, ex is OperationCanceledException ? "handshake timed out" : ex.Message);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _pendingInbound);
        }
    }

    private async Task<Connection> UpgradeAsync(Socket socket, PeerId? expected, bool inbound, CancellationToken cancellationToken)
    {
        var local = Multiaddr.FromEndPoint((IPEndPoint)socket.LocalEndPoint!);
        var remote = Multiaddr.FromEndPoint((IPEndPoint)socket.RemoteEndPoint!);
        var transport = new NetworkStream(socket, ownsSocket: true);
        SecureChannel? secure = null;
        try
        {
            if (inbound)
            {
                await NegotiateAsListenerAsync(transport, NoiseSecurity.ProtocolId, cancellationToken).ConfigureAwait(false);
                secure = await NoiseSecurity.SecureInboundAsync(transport, Identity, cancellationToken).ConfigureAwait(false);
                await NegotiateAsListenerAsync(secure.Stream, YamuxProtocol, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await MultistreamSelect.SelectAsync(transport, [NoiseSecurity.ProtocolId], cancellationToken).ConfigureAwait(false);
                secure = await NoiseSecurity.SecureOutboundAsync(transport, Identity, expected, cancellationToken).ConfigureAwait(false);
                await MultistreamSelect.SelectAsync(secure.Stream, [YamuxProtocol], cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            if (secure is not null)
            {
                await secure.DisposeAsync().ConfigureAwait(false);
            }

            await transport.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var session = YamuxSession.Start(secure.Stream, isInitiator: !inbound, _options.Yamux, _loggerFactory.CreateLogger<YamuxSession>());
        var connection = new Connection(secure, session, local, remote, inbound, _time, _options.StreamNegotiationTimeout);
        Register(connection);
        return connection;
    }

    private static async Task NegotiateAsListenerAsync(Stream stream, string protocol, CancellationToken cancellationToken)
    {
        var agreed = await MultistreamSelect.HandleAsync(stream, p => p == protocol, () => [protocol], cancellationToken).ConfigureAwait(false);
        if (agreed is null)
        {
            throw new Libp2pProtocolException("The peer closed the connection before agreeing on " + protocol + ".");
        }
    }

    private void Register(Connection connection)
    {
        _connections.TryAdd(connection, 0);

        // One connection per peer is used for new streams; a second one (a simultaneous dial) stays usable for the
        // streams already on it and ends when idle.
        _byPeer.AddOrUpdate(connection.RemotePeer, connection, (_, current) => current.IsClosed ? connection : current);
        _logger.ConnectionOpened(connection.RemotePeer, connection.RemoteAddress, connection.IsInbound ? "inbound" : "outbound");
        Track(ServeStreamsAsync(connection));
        Connected?.Invoke(this, connection);
    }

    private async Task ServeStreamsAsync(Connection connection)
    {
        try
        {
            while (true)
            {
                var stream = await connection.Session.AcceptStreamAsync(_stopping.Token).ConfigureAwait(false);
                connection.Touch();
                _ = ServeStreamAsync(connection, stream);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException or Libp2pProtocolException)
        {
            // The session ended; its reason is in CloseReason.
        }

#pragma warning disable VSTHRD003 // Completion is a plain signal (see Connection.Completion).
        await connection.Completion.ConfigureAwait(false);
#pragma warning restore VSTHRD003
        _connections.TryRemove(connection, out _);
        _byPeer.TryRemove(KeyValuePair.Create(connection.RemotePeer, connection));
        _logger.ConnectionClosed(connection.RemotePeer, connection.RemoteAddress, connection.CloseReason ?? "closed");
        await connection.DisposeAsync().ConfigureAwait(false);
        Disconnected?.Invoke(this, connection);
    }

    private async Task ServeStreamAsync(Connection connection, YamuxStream stream)
    {
        string? protocol = null;
        try
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token))
            {
                timeout.CancelAfter(_options.StreamNegotiationTimeout);
                protocol = await MultistreamSelect.HandleAsync(
                    stream, p => Protocols.TryResolve(p, out _), () => Protocols.Protocols, timeout.Token).ConfigureAwait(false);
            }

            if (protocol is null || !Protocols.TryResolve(protocol, out var handler))
            {
                return;
            }

            await handler(new PeerStream(stream, protocol, connection), _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            stream.Reset();
        }
        catch (Exception ex) when (ex is Libp2pProtocolException or IOException or OperationCanceledException)
        {
            stream.Reset();
            _logger.StreamEnded(connection.RemotePeer, protocol ?? "(negotiating)", ex is OperationCanceledException ? "timed out" : ex.Message);
        }
#pragma warning disable CA1031 // A handler's bug must not take the connection or the host down; it is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            stream.Reset();
            _logger.StreamHandlerFailed(ex, connection.RemotePeer, protocol ?? "(negotiating)");
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            connection.Touch();
        }
    }

    private void Track(Task task)
    {
        if (task.IsCompleted)
        {
            return;
        }

        _background.TryAdd(task, 0);
        _ = task.ContinueWith(t => _background.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task ReapIdleConnectionsAsync()
    {
        var period = _options.IdleTimeout / 4;
        if (period <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            while (true)
            {
                await Task.Delay(period, _time, _stopping.Token).ConfigureAwait(false);
                foreach (var connection in _connections.Keys)
                {
                    if (connection.IdleFor >= _options.IdleTimeout && !_protected.ContainsKey(connection.RemotePeer))
                    {
                        _logger.ConnectionIdle(connection.RemotePeer, _options.IdleTimeout.TotalSeconds);
                        await connection.DisposeAsync().ConfigureAwait(false);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static List<Multiaddr> ExpandUnspecified(IPEndPoint local)
    {
        if (!local.Address.Equals(IPAddress.Any) && !local.Address.Equals(IPAddress.IPv6Any))
        {
            return [Multiaddr.FromEndPoint(local)];
        }

        // Listening on every interface: announce each interface's address, as go and js do.
        var family = local.AddressFamily;
        return [.. NetworkInterface.GetAllNetworkInterfaces()
            .Where(static n => n.OperationalStatus == OperationalStatus.Up)
            .SelectMany(static n => n.GetIPProperties().UnicastAddresses)
            .Select(static u => u.Address)
            .Where(a => a.AddressFamily == family && !a.IsIPv6LinkLocal)
            .Distinct()
            .Select(a => Multiaddr.FromEndPoint(new IPEndPoint(a, local.Port)))];
    }
}
