// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Records;

/// <summary>
/// The carbon-tracker's latest sample as announced under <c>aspire_carbon</c> (docs/records.md §3), a key that Petals
/// and upstream KwaaiNet readers ignore.
/// </summary>
/// <param name="Measured">False when the node has no energy source.</param>
/// <param name="Source">Where the reading came from (<c>rapl</c>, <c>unmeasured</c>, …); at most
/// <see cref="ServerInfoLimits.MaxCarbonSourceBytes"/> bytes.</param>
/// <param name="EnergyJoules">Energy used since the tracker started, in joules; null when unmeasured.</param>
/// <param name="AveragePowerWatts">Mean power over the last sampling period, in watts; null when unmeasured.</param>
/// <param name="RecordedAt">When the reading was taken; on the wire Unix seconds as a float64, like hivemind's <c>dht_time</c>.</param>
public sealed record ServerCarbon(
    bool Measured,
    string Source,
    double? EnergyJoules,
    double? AveragePowerWatts,
    DateTimeOffset RecordedAt);
