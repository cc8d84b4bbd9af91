// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Carbon.Energy;

/// <summary>One reading of an <see cref="IEnergyMeter"/>.</summary>
public sealed record EnergyReading
{
    /// <summary>The source named by a reading that no meter produced.</summary>
    public const string NoSource = "none";

    /// <summary>Whether <see cref="EnergyJoules"/> holds a measured value.</summary>
    public required bool IsMeasured { get; init; }

    /// <summary>What produced the reading, e.g. <c>rapl</c>.</summary>
    public required string Source { get; init; }

    /// <summary>Joules used since the meter's first successful reading; null when unmeasured.</summary>
    public double? EnergyJoules { get; init; }

    /// <summary>Mean power between the previous measured reading and this one; null on the first.</summary>
    public double? AveragePowerWatts { get; init; }

    /// <summary>When the reading was taken.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Why the reading is unmeasured; null when measured.</summary>
    public string? Reason { get; init; }

    /// <summary>The per-zone readings behind the total (empty when the source has no zones).</summary>
    public IReadOnlyList<EnergyZoneReading> Zones { get; init; } = [];

    /// <summary>A reading that could not be measured.</summary>
    /// <param name="reason">Why, in words an operator can act on.</param>
    /// <param name="at">When the reading was attempted.</param>
    /// <returns>An unmeasured reading from <see cref="NoSource"/>; use <c>with</c> to name a source.</returns>
    public static EnergyReading Unmeasured(string reason, DateTimeOffset at)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return new EnergyReading
        {
            IsMeasured = false,
            Source = NoSource,
            Timestamp = at,
            Reason = reason,
        };
    }
}
