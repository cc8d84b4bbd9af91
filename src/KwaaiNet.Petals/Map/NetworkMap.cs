// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Messages;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Map;

/// <summary>
/// What the node knows of the network: the latest crawl of the DHT (<see cref="MapCrawler"/>) and the latest carbon
/// sample from the bus. Thread-safe; readers get immutable snapshots, and can wait for or subscribe to each crawl.
/// </summary>
public sealed class NetworkMap
{
    private readonly TimeProvider _time;
    private volatile NetworkMapSnapshot _snapshot;
    private TaskCompletionSource<MapStateDocument> _nextUpdate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates an empty map: no models until the first crawl, <c>update_period</c> from <paramref name="options"/>.</summary>
    public NetworkMap(TimeProvider timeProvider, IOptions<MapOptions> options)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(options);
        _time = timeProvider;
        var now = timeProvider.GetUtcNow();
        _snapshot = new NetworkMapSnapshot(MapStateDocument.Empty(now, options.Value.CrawlPeriod), null, now);
    }

    /// <summary>
    /// Raised after each crawl with the new <c>/api/v1/state</c> document (carbon included), on the crawler's thread:
    /// handlers must return quickly.
    /// </summary>
    public event EventHandler<MapStateDocument>? Updated;

    /// <summary>The current state.</summary>
    public NetworkMapSnapshot Snapshot => _snapshot;

    /// <summary>Completes with the document of the next crawl that ends after this call.</summary>
    public Task<MapStateDocument> WaitForUpdateAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _nextUpdate).Task.WaitAsync(cancellationToken);

    /// <summary>Replaces the crawled map with <paramref name="document"/>, then tells waiters and subscribers.</summary>
    public void Update(MapStateDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        NetworkMapSnapshot current, next;
        do
        {
            current = _snapshot;
            next = current with { Document = document, GeneratedAt = _time.GetUtcNow() };
        }
        while (Interlocked.CompareExchange(ref _snapshot, next, current) != current);

        var state = next.ToStateDocument();
        Interlocked.Exchange(ref _nextUpdate, new TaskCompletionSource<MapStateDocument>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(state);
        Updated?.Invoke(this, state);
    }

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

            next = current with { LatestCarbonSample = sample, GeneratedAt = _time.GetUtcNow() };
        }
        while (Interlocked.CompareExchange(ref _snapshot, next, current) != current);
    }
}
