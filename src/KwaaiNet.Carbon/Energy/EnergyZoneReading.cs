// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Carbon.Energy;

/// <summary>The energy one zone (a package, a subzone such as core or dram, or the platform) has used.</summary>
/// <param name="ZoneId">The zone's folder name, e.g. <c>intel-rapl:0</c> or <c>intel-rapl:0:2</c>.</param>
/// <param name="Name">The zone's <c>name</c> attribute, e.g. <c>package-0</c>, <c>dram</c>, <c>psys</c>.</param>
/// <param name="EnergyJoules">Joules since the zone's first successful reading; null when unmeasured.</param>
/// <param name="IncludedInTotal">Whether this zone counts towards <see cref="EnergyReading.EnergyJoules"/>.</param>
/// <param name="Reason">Why the zone is unmeasured; null when measured.</param>
public sealed record EnergyZoneReading(
    string ZoneId,
    string Name,
    double? EnergyJoules,
    bool IncludedInTotal,
    string? Reason = null)
{
    /// <summary>Whether this zone could be read.</summary>
    public bool IsMeasured => EnergyJoules is not null;
}
