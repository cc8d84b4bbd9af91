// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Identity;

namespace KwaaiNet.Petals.Gateway;

/// <summary>The node's libp2p identity as the gateway reports it.</summary>
/// <param name="PeerId">The node's peer id.</param>
/// <param name="ListenAddrs">The multiaddrs it listens on.</param>
/// <param name="AnnounceAddrs">The multiaddrs it announces to peers (empty when none is known).</param>
public sealed record NodeIdentity(PeerId PeerId, IReadOnlyList<string> ListenAddrs, IReadOnlyList<string> AnnounceAddrs)
{
    /// <summary>
    /// True when the node is reachable only through a relay: it announces addresses and every one is a
    /// <c>/p2p-circuit</c> address (upstream's p2pd rule, docs/records.md §3).
    /// </summary>
    public bool UsingRelay => AnnounceAddrs.Count > 0 && AnnounceAddrs.All(static a => a.Contains("/p2p-circuit", StringComparison.Ordinal));
}
