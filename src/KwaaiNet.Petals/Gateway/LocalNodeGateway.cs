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
}
