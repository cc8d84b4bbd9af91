// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Messages;

namespace KwaaiNet.Petals.Map;

/// <summary>An immutable view of the network map.</summary>
/// <param name="Document">The latest crawl of the DHT (an empty document before the first), without the carbon sample.</param>
/// <param name="LatestCarbonSample">The local carbon-tracker's latest sample from the bus, when any.</param>
/// <param name="GeneratedAt">When this view was made (the last crawl or carbon sample).</param>
public sealed record NetworkMapSnapshot(
    MapStateDocument Document,
    CarbonSampleRecorded? LatestCarbonSample,
    DateTimeOffset GeneratedAt)
{
    /// <summary>The <c>/api/v1/state</c> document: the crawled map with the local carbon sample.</summary>
    public MapStateDocument ToStateDocument() => Document with { Carbon = MapCarbonSample.From(LatestCarbonSample) };
}
