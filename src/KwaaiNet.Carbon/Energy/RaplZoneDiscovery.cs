// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;

namespace KwaaiNet.Carbon.Energy;

/// <summary>
/// Finds RAPL zones under a powercap root. The kernel lists every zone, subzones included, as an
/// entry of /sys/class/powercap (a symlink), and also nests subzones inside their parent's folder
/// (Documentation/power/powercap/powercap.rst); both layouts are read and merged by zone id.
/// </summary>
internal static class RaplZoneDiscovery
{
    /// <summary>The most zones kept. Real machines have a handful per socket.</summary>
    public const int MaxZones = 64;

    /// <summary>The most folder entries looked at per folder, in case the root points somewhere large.</summary>
    public const int MaxEntriesScanned = 4096;

    private const string RaplSuffix = "-rapl";

    /// <summary>Discovers zones, sorted packages first, or says why there are none.</summary>
    public static IReadOnlyList<RaplZone> Discover(string root, out string? problem)
    {
        if (!Directory.Exists(root))
        {
            problem = $"no RAPL zones under {root}: the folder does not exist";
            return [];
        }

        var candidates = new Dictionary<string, (string Path, int[] Indices)>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in EnumerateBounded(root))
            {
                var id = Path.GetFileName(entry);
                if (TryParseZoneId(id, out var indices) && Directory.Exists(entry))
                {
                    candidates.TryAdd(id, (entry, indices));
                }
            }

            // Subzones nested in their package's folder, for trees without the top-level symlinks.
            foreach (var (id, (path, indices)) in candidates.Where(c => c.Value.Indices.Length == 1).ToList())
            {
                foreach (var entry in EnumerateBounded(path))
                {
                    var subId = Path.GetFileName(entry);
                    if (subId.StartsWith(id + ":", StringComparison.Ordinal)
                        && TryParseZoneId(subId, out var subIndices)
                        && Directory.Exists(entry))
                    {
                        candidates.TryAdd(subId, (entry, subIndices));
                    }
                }
            }
        }
        catch (UnauthorizedAccessException)
        {
            problem = $"no RAPL zones under {root}: permission denied listing the folder";
            return [];
        }
        catch (IOException ex)
        {
            problem = $"no RAPL zones under {root}: {ex.Message}";
            return [];
        }

        if (candidates.Count == 0)
        {
            problem = $"no RAPL zones under {root}";
            return [];
        }

        // Packages (one index) before subzones, so that the cap never drops a package for a subzone.
        var zones = candidates
            .OrderBy(c => c.Value.Indices.Length)
            .ThenBy(c => c.Key[..c.Key.IndexOf(':', StringComparison.Ordinal)], StringComparer.Ordinal)
            .ThenBy(c => c.Value.Indices, IndexComparer.Instance)
            .Take(MaxZones)
            .Select(c => new RaplZone(c.Key, ReadName(c.Value.Path, c.Key), c.Value.Path, c.Value.Indices.Length))
            .ToList();

        problem = null;
        return zones;
    }

    /// <summary>
    /// Parses <c>&lt;prefix&gt;-rapl:&lt;n&gt;[:&lt;m&gt;...]</c>, e.g. <c>intel-rapl:0</c> or <c>intel-rapl:0:2</c>.
    /// </summary>
    internal static bool TryParseZoneId(string id, out int[] indices)
    {
        indices = [];
        var parts = id.Split(':');
        if (parts.Length < 2)
        {
            return false;
        }

        // The prefix must end in "-rapl" (intel-rapl, amd-rapl). That excludes intel-rapl-mmio:0, the
        // MMIO interface to the same package counters as intel-rapl:0 on recent Intel parts: reading
        // both would count the package twice.
        var prefix = parts[0];
        if (!prefix.EndsWith(RaplSuffix, StringComparison.Ordinal) || prefix.Length == RaplSuffix.Length)
        {
            return false;
        }

        var parsed = new int[parts.Length - 1];
        for (var i = 1; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out parsed[i - 1]))
            {
                return false;
            }
        }

        indices = parsed;
        return true;
    }

    private static string ReadName(string zonePath, string id) =>
        PowercapFile.TryReadText(Path.Combine(zonePath, "name"), out var name, out _) && name.Length > 0
            ? name
            : id;

    private static IEnumerable<string> EnumerateBounded(string folder) =>
        Directory.EnumerateFileSystemEntries(folder).Take(MaxEntriesScanned);

    /// <summary>Orders zone indices numerically, so that intel-rapl:10 follows intel-rapl:9.</summary>
    private sealed class IndexComparer : IComparer<int[]>
    {
        public static readonly IndexComparer Instance = new();

        public int Compare(int[]? x, int[]? y)
        {
            if (x is null || y is null)
            {
                return (x is null).CompareTo(y is null);
            }

            for (var i = 0; i < Math.Min(x.Length, y.Length); i++)
            {
                var byIndex = x[i].CompareTo(y[i]);
                if (byIndex != 0)
                {
                    return byIndex;
                }
            }

            return x.Length.CompareTo(y.Length);
        }
    }
}
