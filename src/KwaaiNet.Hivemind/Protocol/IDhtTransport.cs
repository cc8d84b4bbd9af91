// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;

namespace KwaaiNet.Hivemind.Protocol;

/// <summary>
/// How a DHT node reaches others: one unary call (p2pd's unary format on the libp2p wire, the protocol id being the
/// hivemind handler name, e.g. <c>DHTProtocol.rpc_find</c>). The dht service calls through the p2p-gateway's
/// <c>CallUnary</c>; in-process swarms call a libp2p host directly; the large benchmark swarm calls in memory.
/// A peer given by id alone is dialled at the addresses the peerstore knows, else found through kad peer routing.
/// </summary>
public interface IDhtTransport
{
    /// <summary>This node's peer id (the gateway's identity; asked of it once, when first needed).</summary>
    ValueTask<PeerId> GetLocalPeerAsync(CancellationToken cancellationToken);

    /// <summary>Connects to a peer at <paramref name="address"/> (a multiaddr ending in <c>/p2p/&lt;peer id&gt;</c>) and returns its peer id.</summary>
    Task<PeerId> ConnectAsync(Multiaddr address, CancellationToken cancellationToken);

    /// <summary>
    /// Sends <paramref name="request"/> to <paramref name="peer"/> on <paramref name="protocol"/> and returns the reply.
    /// Throws <see cref="DhtCallException"/> when the peer cannot be reached, refuses the protocol or answers with an error.
    /// </summary>
    Task<ReadOnlyMemory<byte>> CallAsync(PeerId peer, string protocol, ReadOnlyMemory<byte> request, CancellationToken cancellationToken);
}

/// <summary>A DHT call that did not get an answer: unreachable peer, refused protocol, remote error or time-out.</summary>
public sealed class DhtCallException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DhtCallException()
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    public DhtCallException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and its cause.</summary>
    public DhtCallException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>True when the peer answered with an error (it is alive), false when it could not be reached.</summary>
    public bool RemoteError { get; init; }
}
