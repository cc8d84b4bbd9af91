// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Carbon.Energy;

/// <summary>
/// Measures the energy this machine has used. An interface because RAPL is one source among
/// several: GPU counters (NVML) and declared estimates implement it too.
/// </summary>
public interface IEnergyMeter
{
    /// <summary>
    /// Takes a reading. Never throws for a missing or unreadable source: the reading says
    /// <see cref="EnergyReading.IsMeasured"/> is false and gives the reason instead.
    /// </summary>
    /// <returns>The energy used since the meter's first successful reading.</returns>
    EnergyReading Read();
}
