// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Hosting;

/// <summary>A snapshot of the worker: its state, what it is doing or why it failed, and once ready what it serves.</summary>
/// <param name="State">Loading, ready or failed.</param>
/// <param name="Detail">What is loading, what is served, or why nothing is.</param>
/// <param name="Span">The loaded span when <see cref="WorkerState.Ready"/>.</param>
/// <param name="Throughput">The span's decode throughput once known.</param>
/// <param name="ThroughputSource"><c>measured</c> or <c>cache</c>; empty while unknown.</param>
internal sealed record WorkerStatus(
    WorkerState State,
    string Detail,
    LoadedSpan? Span = null,
    ThroughputEntry? Throughput = null,
    string ThroughputSource = "");
