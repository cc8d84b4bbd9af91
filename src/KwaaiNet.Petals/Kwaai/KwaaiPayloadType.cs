// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Kwaai;

/// <summary>
/// What an <see cref="KwaaiInferenceRequest"/>'s data carries: upstream's <c>PayloadType</c>, written as the snake_case
/// strings <c>"token_ids"</c> and <c>"hidden_states"</c> (<c>core/crates/kwaai-cli/src/block_rpc.rs</c>).
/// </summary>
public enum KwaaiPayloadType
{
    /// <summary><c>"token_ids"</c>: u32 little-endian token ids, shape <c>[seq]</c>; only a node holding the embeddings serves it.</summary>
    TokenIds,

    /// <summary><c>"hidden_states"</c>: f16 little-endian hidden states, shape <c>[1, seq, hidden]</c>.</summary>
    HiddenStates,
}
