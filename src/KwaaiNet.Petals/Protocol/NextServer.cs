// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Protocol;

/// <summary>
/// One entry of <c>rpc_inference</c>'s <c>next_servers</c>: the 4-tuple <c>(peer_id_base58, session_id, start, end)</c>
/// naming the downstream server a server pushes its outputs to, the session it opened there, and that span's blocks.
/// </summary>
/// <param name="PeerId">The downstream server's peer id, base58.</param>
/// <param name="SessionId">The session id the client opened on that server.</param>
/// <param name="Start">The first block of the downstream span.</param>
/// <param name="End">The block after the last one of the downstream span.</param>
public sealed record NextServer(string PeerId, string SessionId, int Start, int End);
