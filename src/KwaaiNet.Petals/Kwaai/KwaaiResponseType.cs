// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Kwaai;

/// <summary>
/// What an <see cref="KwaaiInferenceResponse"/>'s data carries: upstream's <c>ResponseType</c>, written as
/// <c>"hidden_states"</c> and <c>"logits"</c> (<c>core/crates/kwaai-cli/src/block_rpc.rs</c>).
/// </summary>
public enum KwaaiResponseType
{
    /// <summary><c>"hidden_states"</c>: f16 little-endian hidden states for the next node, shape <c>[1, seq, hidden]</c>.</summary>
    HiddenStates,

    /// <summary><c>"logits"</c>: f16 little-endian logits from the node holding the LM head (never produced by this node).</summary>
    Logits,
}
