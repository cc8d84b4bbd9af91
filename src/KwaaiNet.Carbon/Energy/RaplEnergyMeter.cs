// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Carbon.Energy;

/// <summary>
/// Reads Intel/AMD RAPL energy counters through the Linux powercap sysfs interface
/// (Documentation/power/powercap/powercap.rst).
/// </summary>
/// <remarks>
/// The total is the sum of the package zones (<c>intel-rapl:0</c>, <c>intel-rapl:1</c>, ...), or the
/// psys zone alone where there is one. Subzones (core, uncore, dram) are reported per zone but not
/// added: core and uncore are parts of their package, and DRAM, although outside the package on
/// servers, is left out so that the figure compares with other tools' package energy.
/// </remarks>
public sealed class RaplEnergyMeter : IEnergyMeter
{
    /// <summary>The <see cref="EnergyReading.Source"/> of this meter's readings.</summary>
    public const string SourceName = "rapl";

    private const double MicrojoulesPerJoule = 1_000_000d;

    private readonly TimeProvider _timeProvider;
    private readonly Lock _gate = new();
    private IReadOnlyList<RaplZone> _zones = [];
    private ulong? _lastTotalMicrojoules;
    private long _lastTotalTimestamp;

    /// <summary>Creates a meter; the powercap tree is first looked at by <see cref="Read"/>.</summary>
    /// <param name="options">Where the powercap root is.</param>
    /// <param name="timeProvider">The clock for timestamps and average power.</param>
    public RaplEnergyMeter(RaplOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.PowercapRoot);
        PowercapRoot = options.PowercapRoot;
        _timeProvider = timeProvider;
    }

    /// <summary>The powercap root this meter reads.</summary>
    public string PowercapRoot { get; }

    /// <inheritdoc />
    public EnergyReading Read()
    {
        // Reads are rare (a telemetry interval), so one lock around discovery and the running totals
        // is simpler than anything finer and keeps each zone's baseline consistent.
        lock (_gate)
        {
            var now = _timeProvider.GetUtcNow();
            var timestamp = _timeProvider.GetTimestamp();

            // Discovery is retried while nothing is found: the RAPL driver can be loaded after start.
            if (_zones.Count == 0)
            {
                _zones = RaplZoneDiscovery.Discover(PowercapRoot, out var problem);
                if (_zones.Count == 0)
                {
                    return EnergyReading.Unmeasured(problem ?? $"no RAPL zones under {PowercapRoot}", now)
                        with
                    { Source = SourceName };
                }

                ChooseTotalZones(_zones);
            }

            var zoneReadings = new List<EnergyZoneReading>(_zones.Count);
            string? failure = null;
            ulong totalMicrojoules = 0;
            foreach (var zone in _zones)
            {
                if (zone.TrySample(out var reason))
                {
                    zoneReadings.Add(new EnergyZoneReading(
                        zone.Id, zone.Name, zone.AccumulatedMicrojoules / MicrojoulesPerJoule, zone.IncludedInTotal));
                    if (zone.IncludedInTotal)
                    {
                        totalMicrojoules += zone.AccumulatedMicrojoules;
                    }
                }
                else
                {
                    zoneReadings.Add(new EnergyZoneReading(zone.Id, zone.Name, null, zone.IncludedInTotal, reason));
                    if (zone.IncludedInTotal)
                    {
                        failure ??= $"RAPL zone {zone.Id} ({zone.Name}) is unmeasured: {reason}";
                    }
                }
            }

            // A total missing one of its zones would understate the energy: say so instead.
            if (failure is not null)
            {
                return EnergyReading.Unmeasured(failure, now) with { Source = SourceName, Zones = zoneReadings };
            }

            double? averagePowerWatts = null;
            if (_lastTotalMicrojoules is { } lastTotal)
            {
                var elapsed = _timeProvider.GetElapsedTime(_lastTotalTimestamp, timestamp);
                if (elapsed > TimeSpan.Zero)
                {
                    averagePowerWatts = (totalMicrojoules - lastTotal) / MicrojoulesPerJoule / elapsed.TotalSeconds;
                }
            }

            _lastTotalMicrojoules = totalMicrojoules;
            _lastTotalTimestamp = timestamp;

            return new EnergyReading
            {
                IsMeasured = true,
                Source = SourceName,
                EnergyJoules = totalMicrojoules / MicrojoulesPerJoule,
                AveragePowerWatts = averagePowerWatts,
                Timestamp = now,
                Zones = zoneReadings,
            };
        }
    }

    private static void ChooseTotalZones(IReadOnlyList<RaplZone> zones)
    {
        // psys covers the whole SoC/platform and includes the packages' energy, so where it exists it
        // is the total on its own; adding the packages would count them twice.
        var hasPlatform = zones.Any(z => z.IsTopLevel && z.IsPlatform);
        foreach (var zone in zones)
        {
            zone.IncludedInTotal = zone.IsTopLevel && (!hasPlatform || zone.IsPlatform);
        }
    }
}
