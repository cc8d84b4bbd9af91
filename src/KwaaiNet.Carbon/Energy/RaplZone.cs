// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics.CodeAnalysis;

namespace KwaaiNet.Carbon.Energy;

/// <summary>
/// One powercap zone and its running total. Not thread-safe: <see cref="RaplEnergyMeter"/> holds a
/// lock around every use.
/// </summary>
internal sealed class RaplZone
{
    private const string PlatformZoneName = "psys";

    private ulong? _lastRawMicrojoules;
    private ulong _accumulatedMicrojoules;

    public RaplZone(string id, string name, string directoryPath, int depth)
    {
        Id = id;
        Name = name;
        DirectoryPath = directoryPath;
        Depth = depth;
    }

    /// <summary>The folder name, e.g. <c>intel-rapl:0:1</c>.</summary>
    public string Id { get; }

    /// <summary>The <c>name</c> attribute, or <see cref="Id"/> when that cannot be read.</summary>
    public string Name { get; }

    public string DirectoryPath { get; }

    /// <summary>How many indices the id carries: 1 for packages and psys, 2 for their subzones.</summary>
    public int Depth { get; }

    public bool IsTopLevel => Depth == 1;

    /// <summary>
    /// Whether this is the platform zone. psys (Intel, Skylake onwards) covers the whole SoC/platform
    /// and already includes the packages' energy.
    /// </summary>
    public bool IsPlatform => string.Equals(Name, PlatformZoneName, StringComparison.Ordinal);

    /// <summary>Whether the zone counts towards the meter's total; decided once at discovery.</summary>
    public bool IncludedInTotal { get; set; }

    public ulong AccumulatedMicrojoules => _accumulatedMicrojoules;

    /// <summary>
    /// The energy used between two raw readings of a counter. <paramref name="range"/> is
    /// <c>max_energy_range_uj</c>, the value at which the counter wraps to zero
    /// (Documentation/power/powercap/powercap.rst).
    /// </summary>
    public static ulong ComputeDeltaMicrojoules(ulong last, ulong current, ulong range)
    {
        if (current >= last)
        {
            return current - last;
        }

        if (range > 0 && last <= range)
        {
            // Wrapped once: the rest of the range up to the wrap, plus what was counted after it.
            // Equals (current + range - last) % range, without the overflow of current + range.
            return range - last + current;
        }

        // Without a known range a decrease cannot be told apart from a counter reset (driver reload,
        // suspend on some firmware): the interval's energy is unknown, so it is left out rather than
        // guessed. The next interval counts from the new value.
        return 0;
    }

    /// <summary>Reads the counter and adds what was used since the previous sample.</summary>
    /// <remarks>
    /// The zone's <c>enabled</c> attribute is not consulted: it switches power-limit enforcement,
    /// while the energy counter keeps counting either way.
    /// </remarks>
    public bool TrySample([NotNullWhen(false)] out string? reason)
    {
        if (!PowercapFile.TryReadCounter(Path.Combine(DirectoryPath, "energy_uj"), out var current, out reason))
        {
            return false;
        }

        var rangePath = Path.Combine(DirectoryPath, "max_energy_range_uj");
        ulong range = 0;

        // A missing range means "unknown" (handled as a reset above), not an error; a range file that
        // is there but unreadable or garbage means the zone is not what we think it is.
        if ((File.Exists(rangePath) || Directory.Exists(rangePath))
            && !PowercapFile.TryReadCounter(rangePath, out range, out reason))
        {
            return false;
        }

        // The first successful sample is the baseline: energy is counted from then on.
        if (_lastRawMicrojoules is { } last)
        {
            _accumulatedMicrojoules += ComputeDeltaMicrojoules(last, current, range);
        }

        _lastRawMicrojoules = current;
        return true;
    }
}
