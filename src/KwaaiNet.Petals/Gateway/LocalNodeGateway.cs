// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Node;
using KwaaiNet.Libp2p;
using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Protocols;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Gateway;

/// <summary>The gateway's libp2p node in this process (the embedded node): every answer comes from its host directly.</summary>
internal sealed class LocalNodeGateway(ILocalLibp2pNode node, IOptions<NodeOptions> options, ILogger<LocalNodeGateway> logger) : INodeGateway
{
    private readonly NodeOptions _options = options.Value;

    public Task<NodeIdentity> GetIdentityAsync(CancellationToken cancellationToken)
    {
        var host = node.Host;
        var listen = host.ListenAddresses;
        if (listen.Count == 0)
        {
            throw new GatewayUnavailableException("The node's libp2p host is not listening yet.");
        }

        return Task.FromResult(new NodeIdentity(
            host.PeerId,
            [.. listen.Select(a => a.WithPeerId(host.PeerId).ToString())],
            AnnounceAddresses.From(_options)));
    }

    public Task<IReadOnlyList<string>> GetConnectedPeersAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([.. node.Host.Connections.Select(static c => c.RemotePeer.ToString()).Distinct(StringComparer.Ordinal)]);

    public async Task<double?> MeasureDownloadBitsPerSecondAsync(string peerId, CancellationToken cancellationToken)
    {
        if (!PeerId.TryParse(peerId, out var peer))
        {
            logger.ProbePeerInvalid(peerId);
            return null;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(NetworkThroughput.ProbeTimeout);
        try
        {
            var sample = await BandwidthService.MeasureAsync(node.Host, peer, NetworkThroughput.ProbeByteCount, timeout.Token);
            return sample.BitsPerSecond > 0 ? sample.BitsPerSecond : null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            logger.ProbeTimedOut(peerId, (int)NetworkThroughput.ProbeTimeout.TotalSeconds);
            return null;
        }
        catch (Exception ex) when (ex is IOException or Libp2pProtocolException)
        {
            logger.ProbeFailed(peerId, ex.Message);
            return null;
        }
    }

    public async Task<Stream> OpenStreamAsync(string peerId, string protocol, CancellationToken cancellationToken)
    {
        var peer = ParsePeer(peerId);
        ArgumentException.ThrowIfNullOrEmpty(protocol);
        try
        {
            var stream = await node.Host.OpenStreamAsync(peer, [protocol], cancellationToken);

            // Disposing the stream itself closes it (FIN), as disposing the PeerStream would.
            return stream.Stream;
        }
        catch (Exception ex) when (ex is IOException or Libp2pProtocolException)
        {
            throw new PeerCallException("Opening " + protocol + " to " + peerId + " failed: " + ex.Message, ex);
        }
    }

    public async Task<ReadOnlyMemory<byte>> CallUnaryAsync(string peerId, string protocol, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        var peer = ParsePeer(peerId);
        ArgumentException.ThrowIfNullOrEmpty(protocol);
        try
        {
            return await node.Unary.CallAsync(peer, protocol, request, cancellationToken);
        }
        catch (UnaryCallException ex)
        {
            throw new PeerCallException("Peer " + peerId + " answered " + protocol + " with an error: " + ex.Message, ex.Message, ex);
        }
        catch (Exception ex) when (ex is IOException or Libp2pProtocolException)
        {
            throw new PeerCallException("Calling " + protocol + " on " + peerId + " failed: " + ex.Message, ex);
        }
    }

    private static PeerId ParsePeer(string peerId) =>
        PeerId.TryParse(peerId, out var peer) ? peer : throw new ArgumentException("'" + peerId + "' is not a peer id.", nameof(peerId));
}
