// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Gateway;

/// <summary>
/// What the map-announcer needs of the node's p2p-gateway: the node's identity and addresses, its open connections,
/// and a download-rate probe against a peer over libp2p. In the embedded node this is the in-process libp2p node; a
/// map-announcer in its own process calls the gateway's gRPC API.
/// </summary>
public interface INodeGateway
{
    /// <summary>The node's peer id and addresses; throws <see cref="GatewayUnavailableException"/> while the gateway is not up.</summary>
    Task<NodeIdentity> GetIdentityAsync(CancellationToken cancellationToken);

    /// <summary>The base58 peer ids the node has open connections to.</summary>
    Task<IReadOnlyList<string>> GetConnectedPeersAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The download rate from <paramref name="peerId"/> in bits per second, measured over libp2p with the bandwidth
    /// protocol; null when the peer cannot be reached or does not speak the protocol.
    /// </summary>
    Task<double?> MeasureDownloadBitsPerSecondAsync(string peerId, CancellationToken cancellationToken);
}
