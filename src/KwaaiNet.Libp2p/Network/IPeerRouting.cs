// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;

namespace KwaaiNet.Libp2p.Network;

/// <summary>Finds the addresses of a peer known only by its id (hivemind hands out peer ids without addresses).</summary>
public interface IPeerRouting
{
    /// <summary>Returns the peer's addresses, or an empty list when no peer we asked knows it.</summary>
    Task<IReadOnlyList<Multiaddr>> FindPeerAsync(PeerId peer, CancellationToken cancellationToken);
}
