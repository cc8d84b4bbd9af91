// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;

namespace KwaaiNet.Libp2p.Peers;

/// <summary>A point-in-time copy of what a <see cref="PeerStore"/> knows about one peer.</summary>
public sealed class PeerRecord
{
    internal PeerRecord(
        PeerId peerId,
        IReadOnlyList<Multiaddr> addresses,
        IReadOnlyList<string> protocols,
        string? agentVersion,
        string? protocolVersion,
        PublicKey? publicKey,
        DateTimeOffset lastUpdated)
    {
        PeerId = peerId;
        Addresses = addresses;
        Protocols = protocols;
        AgentVersion = agentVersion;
        ProtocolVersion = protocolVersion;
        PublicKey = publicKey;
        LastUpdated = lastUpdated;
    }

    /// <summary>The peer.</summary>
    public PeerId PeerId { get; }

    /// <summary>The unexpired addresses (without a trailing <c>/p2p</c> component), oldest first.</summary>
    public IReadOnlyList<Multiaddr> Addresses { get; }

    /// <summary>The protocol ids the peer supports, in ordinal order.</summary>
    public IReadOnlyList<string> Protocols { get; }

    /// <summary>The agent version the peer reported (identify <c>agentVersion</c>), or null.</summary>
    public string? AgentVersion { get; }

    /// <summary>The protocol version the peer reported (identify <c>protocolVersion</c>), or null.</summary>
    public string? ProtocolVersion { get; }

    /// <summary>The peer's public key: the one stored, or the one its peer id inlines (Ed25519, Secp256k1); else null.</summary>
    public PublicKey? PublicKey { get; }

    /// <summary>When anything about the peer was last stored.</summary>
    public DateTimeOffset LastUpdated { get; }
}
