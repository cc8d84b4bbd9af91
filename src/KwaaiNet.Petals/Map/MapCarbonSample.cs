// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text.Json.Serialization;
using KwaaiNet.Contracts.Messages;

namespace KwaaiNet.Petals.Map;

/// <summary>The latest carbon sample in <c>/api/v1/state</c>, snake_case like the rest of the document.</summary>
public sealed record MapCarbonSample(
    [property: JsonPropertyName("measured")] bool Measured,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("energy_joules")] double? EnergyJoules,
    [property: JsonPropertyName("average_power_watts")] double? AveragePowerWatts,
    [property: JsonPropertyName("recorded_at")] DateTimeOffset RecordedAt,
    [property: JsonPropertyName("reason")] string? Reason)
{
    /// <summary>The document's view of a bus message.</summary>
    public static MapCarbonSample? From(CarbonSampleRecorded? sample) => sample is null
        ? null
        : new MapCarbonSample(sample.Measured, sample.Source, sample.EnergyJoules, sample.AveragePowerWatts, sample.RecordedAt, sample.Reason);
}
