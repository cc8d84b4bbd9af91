// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Messages;

namespace KwaaiNet.Petals.Map;

/// <summary>An immutable view of the network map.</summary>
public sealed record NetworkMapSnapshot(
    IReadOnlyList<MapServerEntry> Servers,
    CarbonSampleRecorded? LatestCarbonSample,
    DateTimeOffset GeneratedAt);
