// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Records;

/// <summary>
/// One span of blocks that one of this node's workers serves, with the figures its announcement carries
/// (docs/records.md §3).
/// </summary>
/// <param name="StartBlock">The first block, 0-based.</param>
/// <param name="EndBlock">The end of the span, exclusive.</param>
/// <param name="State"><see cref="ServerState.Online"/> once the span is loaded and serving,
/// <see cref="ServerState.Joining"/> while it loads.</param>
/// <param name="Throughput">Requests per second: <c>min(compute, network × relay penalty)</c>, or
/// <see cref="UnmeasuredThroughput"/>; finite and at least 0.</param>
/// <param name="CacheTokensLeft">Free KV-cache tokens of the span.</param>
/// <param name="TorchDtype">The worker's compute dtype: <c>float32</c>, <c>float16</c> or <c>bfloat16</c>.</param>
public sealed record ServedSpan(int StartBlock, int EndBlock, ServerState State, double Throughput, long CacheTokensLeft, string TorchDtype)
{
    /// <summary>The throughput announced before one is measured: 10.0 (upstream KwaaiNet's default).</summary>
    public const double UnmeasuredThroughput = 10.0;

    /// <summary><c>network_rps</c>, when measured.</summary>
    public double? NetworkRps { get; init; }

    /// <summary><c>forward_rps</c>, when measured.</summary>
    public double? ForwardRps { get; init; }

    /// <summary><c>inference_rps</c>, when measured.</summary>
    public double? InferenceRps { get; init; }

    /// <summary><c>next_pings</c>: RTT in seconds to servers of the following blocks, by peer id; empty when not measured.</summary>
    public IReadOnlyDictionary<string, double> NextPings { get; init; } = new Dictionary<string, double>();

    /// <summary>The number of blocks in the span.</summary>
    public int Length => EndBlock - StartBlock;
}
