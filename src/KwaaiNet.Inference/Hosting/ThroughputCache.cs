// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text.Json;
using System.Text.Json.Nodes;

namespace KwaaiNet.Inference.Hosting;

/// <summary>
/// The node's <c>throughput_cache.json</c> in upstream KwaaiNet's layout (<c>src/throughput.rs</c>):
/// <c>{ "&lt;model&gt;": { "compute_tps": f64, "hidden_size": int } }</c>, pretty-printed. Ours adds the span, element
/// type, provider and time of the figure to each entry (upstream reads only its two fields), and uses an entry only
/// when all of those match what the worker serves now. Other models' entries are kept when writing.
/// </summary>
internal sealed class ThroughputCache(string path)
{
    /// <summary>The cache file's name in the node's home folder (upstream's).</summary>
    public const string FileName = "throughput_cache.json";

    /// <summary>Larger files are not read (a cache holds a few entries).</summary>
    private const long MaxBytes = 1 << 20;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public string Path { get; } = path;

    /// <summary>The cached figure for exactly this model, span, element type and provider; null when absent or unreadable.</summary>
    public ThroughputEntry? Find(string model, ThroughputEntry expected)
    {
        var root = Read();
        if (root?[model] is not JsonObject entry)
        {
            return null;
        }

        try
        {
            var found = new ThroughputEntry(
                entry["compute_tps"]!.GetValue<double>(),
                entry["hidden_size"]!.GetValue<int>(),
                entry["start_block"]!.GetValue<int>(),
                entry["end_block"]!.GetValue<int>(),
                entry["dtype"]!.GetValue<string>(),
                entry["provider"]!.GetValue<string>(),
                DateTimeOffset.Parse(entry["measured_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
            return found.ComputeTokensPerSecond > 0 && double.IsFinite(found.ComputeTokensPerSecond) && found.SameSpan(expected) ? found : null;
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Writes <paramref name="entry"/> under <paramref name="model"/>, keeping other entries; atomically (temp file, then rename).</summary>
    /// <exception cref="IOException">The file could not be written.</exception>
    public void Store(string model, ThroughputEntry entry)
    {
        var root = Read() ?? [];
        root[model] = new JsonObject
        {
            ["compute_tps"] = entry.ComputeTokensPerSecond,
            ["hidden_size"] = entry.HiddenSize,
            ["start_block"] = entry.StartBlock,
            ["end_block"] = entry.EndBlock,
            ["dtype"] = entry.DataType,
            ["provider"] = entry.Provider,
            ["measured_at"] = entry.MeasuredAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        };
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
        var temp = Path + ".tmp";
        File.WriteAllText(temp, root.ToJsonString(Indented));
        File.Move(temp, Path, overwrite: true);
    }

    /// <summary>The file's object, or null when it is missing, too large or not a JSON object (then it is rewritten on store).</summary>
    private JsonObject? Read()
    {
        try
        {
            var info = new FileInfo(Path);
            if (!info.Exists)
            {
                return null;
            }

            return info.Length > MaxBytes ? null : JsonNode.Parse(File.ReadAllText(Path), documentOptions: new JsonDocumentOptions { MaxDepth = 8 }) as JsonObject;
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
