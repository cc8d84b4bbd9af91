// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf;
using KwaaiNet.Libp2p.Framing;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Network;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Libp2p.Protocols;

/// <summary>
/// Identify and identify push (libp2p/specs identify/README.md): on every new connection we ask the peer who it is
/// and record its listen addresses, protocols and agent in the peerstore; we answer the same question about us,
/// and push our protocols again to connected peers when they change.
/// </summary>
public sealed class IdentifyService : IDisposable
{
    /// <summary>The identify protocol id.</summary>
    public const string ProtocolId = "/ipfs/id/1.0.0";

    /// <summary>The identify push protocol id.</summary>
    public const string PushProtocolId = "/ipfs/id/push/1.0.0";

    /// <summary>The protocol version we announce (what go and js send).</summary>
    public const string ProtocolVersion = "ipfs/0.1.0";

    /// <summary>
    /// Largest identify message we read. go caps a message at 8 KiB (signedIDSize) and splits bigger ones; we allow
    /// more room for peers with many protocols.
    /// </summary>
    public const int MaxMessageSize = 64 * 1024;

    /// <summary>Most delimited messages merged from one identify stream (go maxMessages).</summary>
    public const int MaxMessages = 10;

    private readonly Libp2pHost _host;
    private readonly string _agentVersion;
    private readonly Func<IReadOnlyList<Multiaddr>> _announceAddresses;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;

    /// <summary>Creates the service; <see cref="Start"/> registers it with the host.</summary>
    /// <param name="host">The host whose connections are identified.</param>
    /// <param name="agentVersion">Our agent version, e.g. <c>kwaainet-aspire/0.1.0</c>.</param>
    /// <param name="announceAddresses">Addresses announced besides the listen addresses (public ip, announce_addr).</param>
    /// <param name="logger">The logger.</param>
    public IdentifyService(Libp2pHost host, string agentVersion, Func<IReadOnlyList<Multiaddr>>? announceAddresses, ILogger<IdentifyService> logger)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentException.ThrowIfNullOrEmpty(agentVersion);
        ArgumentNullException.ThrowIfNull(logger);
        _host = host;
        _agentVersion = agentVersion;
        _announceAddresses = announceAddresses ?? (static () => []);
        _logger = logger;
    }

    /// <summary>Raised after a peer has been identified.</summary>
    public event EventHandler<IdentifyResult>? Identified;

    /// <summary>The most recent address a peer saw us at (observedAddr), if any.</summary>
    public Multiaddr? LastObservedAddress { get; private set; }

    /// <summary>Serves identify and identify push, and identifies every new connection.</summary>
    public void Start()
    {
        _host.Protocols.Add(ProtocolId, ServeIdentifyAsync);
        _host.Protocols.Add(PushProtocolId, ServePushAsync);
        _host.Connected += OnConnected;
        _host.Protocols.Changed += OnProtocolsChanged;
    }

    /// <summary>Asks the peer on <paramref name="connection"/> who it is and records the answer in the peerstore.</summary>
    /// <exception cref="Libp2pProtocolException">The peer's answer is malformed or claims another key.</exception>
    public async Task<IdentifyResult> IdentifyAsync(Connection connection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var stream = await connection.OpenStreamAsync([ProtocolId], cancellationToken).ConfigureAwait(false);
        await stream.CompleteWritesAsync().ConfigureAwait(false);
        var message = await ReadMessagesAsync(stream.Stream, cancellationToken).ConfigureAwait(false);
        var result = Apply(connection, message, push: false);
        Identified?.Invoke(this, result);
        return result;
    }

    /// <summary>Builds our identify message for <paramref name="connection"/>.</summary>
    internal Wire.Identify BuildMessage(Connection? connection)
    {
        var message = new Wire.Identify
        {
            ProtocolVersion = ProtocolVersion,
            AgentVersion = _agentVersion,
            PublicKey = ByteString.CopyFrom(_host.Identity.PublicKeyProtobuf.Span),
        };
        foreach (var address in _host.ListenAddresses.Concat(_announceAddresses()).Distinct())
        {
            message.ListenAddrs.Add(ByteString.CopyFrom(address.WithoutPeerId().Bytes.Span));
        }

        message.Protocols.AddRange(_host.Protocols.Protocols);
        if (connection is not null)
        {
            message.ObservedAddr = ByteString.CopyFrom(connection.RemoteAddress.Bytes.Span);
        }

        return message;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _host.Connected -= OnConnected;
        _host.Protocols.Changed -= OnProtocolsChanged;
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private async Task ServeIdentifyAsync(PeerStream stream, CancellationToken cancellationToken)
    {
        await LengthPrefixed.WriteAsync(stream.Stream, BuildMessage(stream.Connection).ToByteArray(), cancellationToken).ConfigureAwait(false);
        await stream.CompleteWritesAsync().ConfigureAwait(false);
    }

    private async Task ServePushAsync(PeerStream stream, CancellationToken cancellationToken)
    {
        var message = await ReadMessagesAsync(stream.Stream, cancellationToken).ConfigureAwait(false);
        var result = Apply(stream.Connection, message, push: true);
        Identified?.Invoke(this, result);
    }

    private static async Task<Wire.Identify> ReadMessagesAsync(Stream stream, CancellationToken cancellationToken)
    {
        // go writes a large message in two parts (without and then with the signed record); merge up to MaxMessages
        // delimited messages until the end of the stream.
        var merged = new Wire.Identify();
        for (var i = 0; i < MaxMessages; i++)
        {
            var bytes = await LengthPrefixed.ReadAsync(stream, MaxMessageSize, cancellationToken).ConfigureAwait(false);
            if (bytes is null)
            {
                return merged;
            }

            try
            {
                merged.MergeFrom(bytes);
            }
            catch (InvalidProtocolBufferException ex)
            {
                throw new Libp2pProtocolException("Malformed identify message: " + ex.Message, ex);
            }
        }

        throw new Libp2pProtocolException("The peer sent more than " + MaxMessages + " identify messages on one stream.");
    }

    private IdentifyResult Apply(Connection connection, Wire.Identify message, bool push)
    {
        var peer = connection.RemotePeer;
        if (message.HasPublicKey)
        {
            if (!PublicKey.TryFromProtobuf(message.PublicKey.Span, out var key) || !key.Equals(connection.RemotePublicKey))
            {
                throw new Libp2pProtocolException("The identify message carries a public key other than the one " + peer + " authenticated with.");
            }
        }

        var addresses = new List<Multiaddr>();
        foreach (var bytes in message.ListenAddrs)
        {
            if (Multiaddr.TryFromBytes(bytes.Span, out var address))
            {
                addresses.Add(address.WithoutPeerId());
            }
        }

        Multiaddr? observed = null;
        if (message.HasObservedAddr && Multiaddr.TryFromBytes(message.ObservedAddr.Span, out var seen))
        {
            observed = seen;
            LastObservedAddress = seen;
        }

        var store = _host.PeerStore;
        if (addresses.Count > 0)
        {
            store.AddAddresses(peer, addresses, _host.Options.AddressTtl);
        }

        // A push leaves out what did not change (identify/README.md §identify/push).
        if (!push || message.Protocols.Count > 0)
        {
            store.SetProtocols(peer, message.Protocols);
        }

        if (message.HasAgentVersion)
        {
            store.SetAgentVersion(peer, message.AgentVersion);
        }

        if (message.HasProtocolVersion)
        {
            store.SetProtocolVersion(peer, message.ProtocolVersion);
        }

        store.SetPublicKey(peer, connection.RemotePublicKey);
        _logger.PeerIdentified(peer, message.AgentVersion, message.Protocols.Count, addresses.Count);
        return new IdentifyResult(peer, message.HasAgentVersion ? message.AgentVersion : null, [.. message.Protocols], addresses, observed);
    }

    private void OnConnected(object? sender, Connection connection) => _ = IdentifyInBackgroundAsync(connection);

    private async Task IdentifyInBackgroundAsync(Connection connection)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            timeout.CancelAfter(_host.Options.StreamNegotiationTimeout * 2);
            await IdentifyAsync(connection, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Libp2pProtocolException or IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            if (!_stopping.IsCancellationRequested)
            {
                _logger.IdentifyFailed(connection.RemotePeer, ex is OperationCanceledException ? "timed out" : ex.Message);
            }
        }
    }

    private void OnProtocolsChanged(object? sender, EventArgs e)
    {
        foreach (var connection in _host.Connections)
        {
            _ = PushAsync(connection);
        }
    }

    private async Task PushAsync(Connection connection)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            timeout.CancelAfter(_host.Options.StreamNegotiationTimeout);
            await using var stream = await connection.OpenStreamAsync([PushProtocolId], timeout.Token).ConfigureAwait(false);
            await LengthPrefixed.WriteAsync(stream.Stream, BuildMessage(connection).ToByteArray(), timeout.Token).ConfigureAwait(false);
            await stream.CompleteWritesAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Libp2pProtocolException or IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            _logger.IdentifyPushFailed(connection.RemotePeer, ex.Message);
        }
    }
}

/// <summary>What a peer told us about itself.</summary>
/// <param name="Peer">The authenticated peer.</param>
/// <param name="AgentVersion">Its agent, e.g. <c>p2pd/0.1</c> or <c>js-libp2p/3.3.11</c>.</param>
/// <param name="Protocols">The protocols it accepts streams for.</param>
/// <param name="ListenAddresses">Its listen addresses.</param>
/// <param name="ObservedAddress">The address it sees us at.</param>
public sealed record IdentifyResult(
    PeerId Peer, string? AgentVersion, IReadOnlyList<string> Protocols, IReadOnlyList<Multiaddr> ListenAddresses, Multiaddr? ObservedAddress);
