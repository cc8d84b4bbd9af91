// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Protocol;

/// <summary>
/// The <c>ExpertRequest.metadata</c> of one <c>rpc_inference</c> (or <c>rpc_push</c>) step, as the Petals client
/// builds it (petals <c>client/inference_session.py</c>) and the server reads it (petals <c>server/handler.py</c>,
/// <c>server/block_functions.py</c>). Every key is optional on the wire; an absent key is null (or empty).
/// </summary>
public sealed record InferenceMetadata
{
    /// <summary><c>session_id</c>: the client's session on this server (a uuid4 string).</summary>
    public string? SessionId { get; init; }

    /// <summary><c>step_id</c>: the client's step, the same on every server; a repeated step is skipped.</summary>
    public string? StepId { get; init; }

    /// <summary><c>max_length</c>: the attention cache length, sent on the first step only.</summary>
    public int? MaxLength { get; init; }

    /// <summary><c>points</c>: the request's priority (an int or a float on the wire).</summary>
    public double? Points { get; init; }

    /// <summary><c>active_adapter</c>: the LoRA adapter to use; null for none (nil or absent on the wire).</summary>
    public string? ActiveAdapter { get; init; }

    /// <summary>
    /// <c>args_structure</c>, parsed: for each positional argument, the index of its tensor in
    /// <c>ExpertRequest.tensors</c>; null when the key is absent (tensors are then taken in order).
    /// </summary>
    public IReadOnlyList<int>? ArgsStructure { get; init; }

    /// <summary><c>start_from_position</c>: the client's position on this server before the step.</summary>
    public int? StartFromPosition { get; init; }

    /// <summary><c>next_servers</c>: where to push this step's outputs, nearest first; empty when absent.</summary>
    public IReadOnlyList<NextServer> NextServers { get; init; } = [];

    /// <summary><c>alloc_timeout</c>: seconds to wait for cache memory.</summary>
    public double? AllocTimeout { get; init; }

    /// <summary><c>pushed</c>: true on requests a server produced with <c>rpc_push</c>.</summary>
    public bool? Pushed { get; init; }

    /// <summary>
    /// <c>traceparent</c>: the W3C trace context of the client's step (not a Petals key: Petals servers ignore keys they
    /// do not know), so that a server's work joins the client's trace.
    /// </summary>
    public string? TraceParent { get; init; }
}
