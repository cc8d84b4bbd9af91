// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Contracts.Messages;

/// <summary>Where an inference-worker's span is in its life, as the map-announcer announces it.</summary>
public enum WorkerSpanState
{
    /// <summary>The span is loading (announced as joining).</summary>
    Loading = 1,

    /// <summary>The span is loaded and serves requests (announced as online).</summary>
    Serving = 2,

    /// <summary>The worker stopped serving the span: shutdown, a new span, or a load that failed (announced offline).</summary>
    Stopped = 3,
}

/// <summary>
/// Published by an inference-worker at every change of its span's state, and again every
/// <see cref="HeartbeatPeriod"/> while it holds a span, so that an announcer that starts later learns of it and one
/// that stops hearing from a worker (a crash) drops its span after three periods.
/// </summary>
/// <param name="WorkerId">The worker instance (stable for the life of the process; several workers may serve one node).</param>
/// <param name="Model">The configured model reference (<c>KwaaiNet:Node:model</c>).</param>
/// <param name="StartBlock">The span's first block.</param>
/// <param name="EndBlock">One past the span's last block.</param>
/// <param name="TotalBlocks">Blocks in the whole model (0 while unknown, before the file is read).</param>
/// <param name="State">The span's state.</param>
/// <param name="DecodeTokensPerSecond">The span's measured decode rate, once known (<see cref="ThroughputMeasured"/>); else null.</param>
/// <param name="HiddenSize">The model's hidden size (0 while unknown), for the network-throughput formula.</param>
/// <param name="DataType">The span's element type: <c>float32</c>, <c>float16</c> or <c>bfloat16</c>.</param>
/// <param name="CacheTokensLeft">Free KV-cache tokens of the span.</param>
/// <param name="DhtPrefix">The map's <c>dht_prefix</c> when the span came from a <see cref="ServeSpan"/> that named one; else null.</param>
/// <param name="Repository">The map's repository when the span came from a <see cref="ServeSpan"/> that named one; else null.</param>
/// <param name="Reason">Why the state changed, for the log and the map (e.g. the load error); null when routine.</param>
/// <param name="At">When the worker published this.</param>
public sealed record WorkerSpanStatus(
    string WorkerId,
    string Model,
    int StartBlock,
    int EndBlock,
    int TotalBlocks,
    WorkerSpanState State,
    double? DecodeTokensPerSecond,
    int HiddenSize,
    string DataType,
    long CacheTokensLeft,
    string? DhtPrefix,
    string? Repository,
    string? Reason,
    DateTimeOffset At)
{
    /// <summary>How often a worker repeats its status while it holds a span.</summary>
    public static TimeSpan HeartbeatPeriod { get; } = TimeSpan.FromSeconds(30);
}
