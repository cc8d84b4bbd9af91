// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;

namespace KwaaiNet.Carbon.Tests.Energy;

/// <summary>A fake powercap tree in a fresh temp folder, deleted on dispose.</summary>
internal sealed class PowercapTree : IDisposable
{
    /// <summary>A typical package range: the 32-bit RAPL counter in 15.3 µJ units.</summary>
    public const ulong TypicalRange = 262_143_328_850;

    public PowercapTree()
    {
        Root = Directory.CreateTempSubdirectory("kwaainet-powercap-").FullName;
    }

    public string Root { get; }

    /// <summary>Adds a zone folder at <paramref name="relativePath"/>; a null range writes no range file.</summary>
    public void AddZone(string relativePath, string name, ulong energyMicrojoules, ulong? range = TypicalRange)
    {
        Directory.CreateDirectory(Path.Combine(Root, relativePath));
        WriteFile(relativePath, "name", name + "\n");
        SetEnergy(relativePath, energyMicrojoules);
        WriteFile(relativePath, "enabled", "1\n");
        if (range is { } value)
        {
            WriteFile(relativePath, "max_energy_range_uj", value.ToString(CultureInfo.InvariantCulture) + "\n");
        }
    }

    public void SetEnergy(string relativePath, ulong energyMicrojoules) =>
        WriteFile(relativePath, "energy_uj", energyMicrojoules.ToString(CultureInfo.InvariantCulture) + "\n");

    public void WriteFile(string relativePath, string file, string content) =>
        File.WriteAllText(PathOf(relativePath, file), content);

    public string PathOf(string relativePath, string file) => Path.Combine(Root, relativePath, file);

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
