// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Yamux;

namespace KwaaiNet.Libp2p.Network;

/// <summary>Limits and timeouts of the libp2p host. The defaults suit a public node.</summary>
public sealed class Libp2pHostOptions
{
    /// <summary>How long an outbound dial may take, TCP connect and upgrade together.</summary>
    public TimeSpan DialTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long an inbound connection may take to finish Noise and agree on the muxer.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a new stream may take to agree on its protocol.</summary>
    public TimeSpan StreamNegotiationTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A connection without streams for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Most open connections; further inbound connections are refused.</summary>
    public int MaxConnections { get; set; } = 512;

    /// <summary>Most inbound connections still in their handshake; further ones are refused.</summary>
    public int MaxPendingInbound { get; set; } = 64;

    /// <summary>How long the addresses a peer tells us in identify stay in the peerstore.</summary>
    public TimeSpan AddressTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The stream muxer's limits and windows.</summary>
    public YamuxOptions Yamux { get; set; } = new();
}
