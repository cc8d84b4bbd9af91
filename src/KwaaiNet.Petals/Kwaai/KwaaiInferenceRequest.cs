// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Kwaai;

/// <summary>
/// Upstream KwaaiNet's <c>InferenceRequest</c> on <c>/kwaai/inference/1.0.0</c> (<c>core/crates/kwaai-cli/src/block_rpc.rs</c>).
/// </summary>
/// <param name="SessionId">The session (the KV cache on each server of the chain), chosen at random by the coordinator.</param>
/// <param name="SeqPos">The global position of the first token of this request: 0 for the prefill.</param>
/// <param name="PayloadType">What <paramref name="Data"/> carries.</param>
/// <param name="Shape"><c>[seq]</c> for token ids, <c>[1, seq, hidden]</c> for hidden states.</param>
/// <param name="Data">u32 little-endian token ids or f16 little-endian hidden states.</param>
public sealed record KwaaiInferenceRequest(
    ulong SessionId, uint SeqPos, KwaaiPayloadType PayloadType, IReadOnlyList<uint> Shape, ReadOnlyMemory<byte> Data);
