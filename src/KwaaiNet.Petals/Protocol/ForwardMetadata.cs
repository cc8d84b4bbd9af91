// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Protocol;

/// <summary>
/// The <c>ExpertRequest.metadata</c> of <c>rpc_forward</c>/<c>rpc_backward</c> (and their streaming forms), as the
/// Petals client builds it (petals <c>client/sequential_autograd.py</c>). Every key is optional on the wire.
/// </summary>
public sealed record ForwardMetadata
{
    /// <summary><c>points</c>: the request's priority (an int or a float on the wire).</summary>
    public double? Points { get; init; }

    /// <summary><c>active_adapter</c>: the LoRA adapter to use; null for none (nil or absent on the wire).</summary>
    public string? ActiveAdapter { get; init; }

    /// <summary>
    /// <c>args_structure</c>, parsed: for each positional argument, the index of its tensor in
    /// <c>ExpertRequest.tensors</c>; null when the key is absent (tensors are then taken in order).
    /// </summary>
    public IReadOnlyList<int>? ArgsStructure { get; init; }

    /// <summary><c>output_compression</c>: a <c>CompressionType</c> per output, overriding the schema's; null when absent.</summary>
    public IReadOnlyList<int>? OutputCompression { get; init; }
}
