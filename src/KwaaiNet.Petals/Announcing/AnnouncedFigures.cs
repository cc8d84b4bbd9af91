// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Messages;
using KwaaiNet.Petals.Gateway;

namespace KwaaiNet.Petals.Announcing;

/// <summary>
/// The throughput figures a span is announced with (docs/records.md §3): <c>min(compute, network × relay penalty)</c>,
/// where compute is the worker's measured decode rate and network the node's configured or measured bandwidth
/// (<see cref="NetworkThroughput"/>). The bandwidth probe runs in the background: an announcement never waits for it,
/// and uses the last figure known (none before the first probe ends: compute alone, as upstream without a figure).
/// </summary>
internal sealed class AnnouncedFigures(NetworkThroughput network)
{
    private readonly Lock _lock = new();
    private bool _probing;
    private double? _bitsPerSecond;

    /// <summary>The figures of one span.</summary>
    /// <param name="Throughput">The announced <c>throughput</c>.</param>
    /// <param name="NetworkRps">The announced <c>network_rps</c>, when the bandwidth is known.</param>
    public readonly record struct SpanRates(double Throughput, double? NetworkRps);

    /// <summary>The figures of the span that <paramref name="status"/> reports.</summary>
    public SpanRates ForSpan(WorkerSpanStatus status, bool usingRelay)
    {
        ArgumentNullException.ThrowIfNull(status);
        var bitsPerSecond = Bandwidth();
        var compute = status.DecodeTokensPerSecond is { } tps && double.IsFinite(tps) && tps >= 0 ? tps : (double?)null;
        return new SpanRates(
            NetworkThroughput.Effective(compute, bitsPerSecond, status.HiddenSize, usingRelay),
            NetworkThroughput.NetworkRps(bitsPerSecond, status.HiddenSize));
    }

    /// <summary>The last bandwidth known; starts a probe (which answers from its cache when fresh) when none runs.</summary>
    private double? Bandwidth()
    {
        lock (_lock)
        {
            if (!_probing)
            {
                _probing = true;
                _ = ProbeAsync();
            }

            return _bitsPerSecond;
        }
    }

    private async Task ProbeAsync()
    {
        try
        {
            // NetworkThroughput bounds the probe (15 s) and answers null when no peer can be measured.
            if (await network.GetNetworkBitsPerSecondAsync(CancellationToken.None).ConfigureAwait(false) is { } figure)
            {
                lock (_lock)
                {
                    _bitsPerSecond = figure;
                }
            }
        }
        finally
        {
            lock (_lock)
            {
                _probing = false;
            }
        }
    }
}
