// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Multistream;
using KwaaiNet.Libp2p.Noise;
using KwaaiNet.Libp2p.Yamux;

namespace KwaaiNet.Libp2p.Network;

/// <summary>
/// An upgraded connection to one peer: TCP, Noise (the peer is authenticated) and Yamux. Streams are opened on it
/// with a protocol agreed by multistream-select.
/// </summary>
public sealed class Connection : IAsyncDisposable
{
    private readonly SecureChannel _secure;
    private readonly TimeProvider _time;
    private readonly TimeSpan _negotiationTimeout;
    private long _lastActivity;

    internal Connection(
        SecureChannel secure, YamuxSession session, Multiaddr localAddress, Multiaddr remoteAddress, bool isInbound, TimeProvider time, TimeSpan negotiationTimeout)
    {
        _secure = secure;
        Session = session;
        _time = time;
        _negotiationTimeout = negotiationTimeout;
        LocalAddress = localAddress;
        RemoteAddress = remoteAddress;
        IsInbound = isInbound;
        Opened = time.GetUtcNow();
        _lastActivity = time.GetTimestamp();
    }

    /// <summary>The authenticated peer.</summary>
    public PeerId RemotePeer => _secure.RemotePeerId;

    /// <summary>The peer's identity key, as it proved in the Noise handshake.</summary>
    public PublicKey RemotePublicKey => _secure.RemotePublicKey;

    /// <summary>Our end of the connection.</summary>
    public Multiaddr LocalAddress { get; }

    /// <summary>The peer's end of the connection, as we see it (without /p2p).</summary>
    public Multiaddr RemoteAddress { get; }

    /// <summary>True when the peer dialled us.</summary>
    public bool IsInbound { get; }

    /// <summary>When the connection was established.</summary>
    public DateTimeOffset Opened { get; }

    /// <summary>True once the connection has ended.</summary>
    public bool IsClosed => Session.IsClosed;

    /// <summary>Completes when the connection ends; never faults.</summary>
#pragma warning disable VSTHRD003 // The session's completion is a plain signal: it never runs code on the awaiter's context.
    public Task Completion => Session.Completion;
#pragma warning restore VSTHRD003

    /// <summary>Why the connection ended, once it has.</summary>
    public string? CloseReason => Session.CloseReason;

    internal YamuxSession Session { get; }

    internal TimeSpan IdleFor => Session.ActiveStreams > 0 ? TimeSpan.Zero : _time.GetElapsedTime(Interlocked.Read(ref _lastActivity));

    /// <summary>Opens a stream and agrees on the first of <paramref name="protocols"/> that the peer supports.</summary>
    /// <exception cref="ProtocolNotSupportedException">The peer supports none of them.</exception>
    /// <exception cref="Libp2pProtocolException">The peer broke the negotiation.</exception>
    public async Task<PeerStream> OpenStreamAsync(IReadOnlyList<string> protocols, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(protocols);
        Touch();
        var stream = await Session.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_negotiationTimeout);
            var protocol = await MultistreamSelect.SelectAsync(stream, protocols, timeout.Token).ConfigureAwait(false);
            return new PeerStream(stream, protocol, this);
        }
        catch
        {
            stream.Reset();
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Closes the connection: go-away to the peer, then the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        await Session.DisposeAsync().ConfigureAwait(false);
        await _secure.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override string ToString() => RemotePeer + " at " + RemoteAddress + (IsInbound ? " (inbound)" : " (outbound)");

    internal void Touch() => Interlocked.Exchange(ref _lastActivity, _time.GetTimestamp());
}
