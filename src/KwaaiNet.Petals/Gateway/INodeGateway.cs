// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Gateway;

/// <summary>
/// What the map-announcer and the client need of the node's p2p-gateway: the node's identity and addresses, its open
/// connections, a download-rate probe against a peer over libp2p, and calls to remote peers (unary calls in p2pd's
/// format and raw streams). In the embedded node this is the in-process libp2p node; a module in its own process calls
/// the gateway's gRPC API.
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

    /// <summary>
    /// Opens a libp2p stream to <paramref name="peerId"/> on <paramref name="protocol"/> (dialling it by peer id through
    /// the peerstore when needed): a duplex byte stream; disposing it closes the stream.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="peerId"/> is not a peer id.</exception>
    /// <exception cref="PeerCallException">The peer could not be dialled or does not speak the protocol.</exception>
    /// <exception cref="GatewayUnavailableException">The gateway could not be reached.</exception>
    Task<Stream> OpenStreamAsync(string peerId, string protocol, CancellationToken cancellationToken);

    /// <summary>
    /// One unary call in p2pd's format (hivemind handlers such as <c>DHTProtocol.rpc_ping</c>): the serialized request
    /// out, the serialized response back.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="peerId"/> is not a peer id.</exception>
    /// <exception cref="PeerCallException">
    /// The call failed; when the remote handler answered with an error, <see cref="PeerCallException.RemoteError"/> holds its text.
    /// </exception>
    /// <exception cref="GatewayUnavailableException">The gateway could not be reached.</exception>
    Task<ReadOnlyMemory<byte>> CallUnaryAsync(string peerId, string protocol, ReadOnlyMemory<byte> request, CancellationToken cancellationToken);
}
