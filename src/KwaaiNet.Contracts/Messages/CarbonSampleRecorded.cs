// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Contracts.Messages;

/// <summary>
/// Published by the carbon-tracker each sampling period: the node's cumulative energy reading.
/// </summary>
/// <param name="Measured">False when the node has no energy source (no RAPL, no NVML); <paramref name="Reason"/> says why.</param>
/// <param name="Source">Where the reading came from: <c>rapl</c>, or <c>unmeasured</c>.</param>
/// <param name="EnergyJoules">Energy used since the tracker started, in joules.</param>
/// <param name="AveragePowerWatts">Mean power over the last sampling period, in watts.</param>
/// <param name="RecordedAt">When the reading was taken.</param>
/// <param name="Reason">Why the reading is unmeasured, or null.</param>
public sealed record CarbonSampleRecorded(
    bool Measured,
    string Source,
    double? EnergyJoules,
    double? AveragePowerWatts,
    DateTimeOffset RecordedAt,
    string? Reason);
