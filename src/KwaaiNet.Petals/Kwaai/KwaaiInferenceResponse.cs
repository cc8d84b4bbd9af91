// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Kwaai;

/// <summary>
/// Upstream KwaaiNet's <c>InferenceResponse</c> on <c>/kwaai/inference/1.0.0</c> (<c>core/crates/kwaai-cli/src/block_rpc.rs</c>).
/// A failure travels in <paramref name="Error"/> with an empty shape and data, not in p2pd's error arm.
/// </summary>
/// <param name="SessionId">The request's session (upstream writes 0 in its error responses).</param>
/// <param name="ResponseType">What <paramref name="Data"/> carries.</param>
/// <param name="Shape">The tensor's shape; empty in an error response.</param>
/// <param name="Data">f16 little-endian values.</param>
/// <param name="Error">Why the server failed; null on success.</param>
public sealed record KwaaiInferenceResponse(
    ulong SessionId, KwaaiResponseType ResponseType, IReadOnlyList<uint> Shape, ReadOnlyMemory<byte> Data, string? Error)
{
    /// <summary>An error response as upstream writes one: hidden_states, empty shape and data.</summary>
    public static KwaaiInferenceResponse Failure(ulong sessionId, string error) =>
        new(sessionId, KwaaiResponseType.HiddenStates, [], ReadOnlyMemory<byte>.Empty, error);
}
