// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Messages;

namespace KwaaiNet.Petals.Map;

/// <summary>
/// What the node knows of the network: the servers found in the DHT (filled by the crawler, issue #6) and the
/// latest carbon sample from the bus. Thread-safe; readers get immutable snapshots.
/// </summary>
public sealed class NetworkMap(TimeProvider timeProvider)
{
    private volatile NetworkMapSnapshot _snapshot = new([], null, timeProvider.GetUtcNow());

    /// <summary>The current state.</summary>
    public NetworkMapSnapshot Snapshot => _snapshot;

    /// <summary>Keeps <paramref name="sample"/> unless a later one is already held (bus redelivery can reorder).</summary>
    public void RecordCarbonSample(CarbonSampleRecorded sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        NetworkMapSnapshot current, next;
        do
        {
            current = _snapshot;
            if (current.LatestCarbonSample is { } held && held.RecordedAt > sample.RecordedAt)
            {
                return;
            }

            next = current with { LatestCarbonSample = sample, GeneratedAt = timeProvider.GetUtcNow() };
        }
        while (Interlocked.CompareExchange(ref _snapshot, next, current) != current);
    }
}
