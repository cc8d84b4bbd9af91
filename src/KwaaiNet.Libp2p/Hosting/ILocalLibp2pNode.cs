// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Network;
using KwaaiNet.Libp2p.Protocols;

namespace KwaaiNet.Libp2p.Hosting;

/// <summary>
/// The gateway's libp2p node, for modules hosted in the same process (the embedded node): they register their
/// handlers and make their calls on it directly instead of through the gateway's gRPC API.
/// </summary>
public interface ILocalLibp2pNode
{
    /// <summary>The libp2p host with the node's identity.</summary>
    Libp2pHost Host { get; }

    /// <summary>p2pd unary calls and handlers on <see cref="Host"/>.</summary>
    UnaryCalls Unary { get; }
}
