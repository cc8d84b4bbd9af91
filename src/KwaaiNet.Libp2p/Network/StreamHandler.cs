// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Libp2p.Network;

/// <summary>
/// Serves one inbound stream whose protocol has been agreed. The host disposes the stream when the handler returns;
/// an exception resets the stream and is logged with the protocol and the peer.
/// </summary>
/// <param name="stream">The stream, with its protocol and the authenticated peer.</param>
/// <param name="cancellationToken">Signalled when the host stops.</param>
public delegate Task StreamHandler(PeerStream stream, CancellationToken cancellationToken);
