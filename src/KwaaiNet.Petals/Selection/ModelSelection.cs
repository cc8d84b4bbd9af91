// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text;
using KwaaiNet.Petals.Map;
using KwaaiNet.Petals.Records;

namespace KwaaiNet.Petals.Selection;

/// <summary>
/// Which model this node serves: upstream KwaaiNet's <c>pick_best_model</c> (<c>core/crates/kwaai-cli/src/map.rs</c>,
/// kwaainet-upstream.md §3.3). Local models are matched against the map's reports by a normalized-name score; the
/// strongest match with the most servers wins, except that the configured model is kept while it matches as strongly
/// and the best has at most two servers more (so that stable nodes do not switch back and forth).
/// </summary>
public static class ModelSelection
{
    /// <summary>Upstream's stability margin: the configured model is kept unless the best has more than this many extra servers.</summary>
    public const int StabilityMargin = 2;

    /// <summary>
    /// Upstream's <c>match_score</c>: 2 when the normalized reference (lower-case letters and digits only) and a
    /// candidate of the report (its short name, dht prefix, or the last path segment of the short name) contain one
    /// another; 1 when the reference without its <c>:tag</c> does; else 0. Candidates are tried in that order and the
    /// first that matches decides.
    /// </summary>
    public static int MatchScore(string localModel, MapModelReport report)
    {
        ArgumentNullException.ThrowIfNull(localModel);
        ArgumentNullException.ThrowIfNull(report);
        var full = Normalize(localModel);
        var colon = localModel.IndexOf(':', StringComparison.Ordinal);
        var baseName = Normalize(colon < 0 ? localModel : localModel[..colon]);
        var shortName = report.ShortName ?? string.Empty;
        string[] candidates = [Normalize(shortName), Normalize(report.DhtPrefix ?? string.Empty), Normalize(shortName[(shortName.LastIndexOf('/') + 1)..])];
        foreach (var candidate in candidates)
        {
            if (candidate.Length == 0)
            {
                continue;
            }

            if (full.Length > 0 && (candidate.Contains(full, StringComparison.Ordinal) || full.Contains(candidate, StringComparison.Ordinal)))
            {
                return 2;
            }

            if (baseName.Length > 0 && (candidate.Contains(baseName, StringComparison.Ordinal) || baseName.Contains(candidate, StringComparison.Ordinal)))
            {
                return 1;
            }
        }

        return 0;
    }

    /// <summary>
    /// Upstream's <c>pick_best_model</c>: per local model its best report (score first, then servers), then the local
    /// model with the highest score and most servers (ties: the order of <paramref name="localModels"/>), unless
    /// <paramref name="currentModel"/> is among them with the same score and the best has at most
    /// <see cref="StabilityMargin"/> servers more. Null when nothing local matches the map (keep the configured model).
    /// </summary>
    public static ModelChoice? PickBestModel(IReadOnlyList<string> localModels, IReadOnlyList<MapModelReport> reports, string currentModel)
    {
        ArgumentNullException.ThrowIfNull(localModels);
        ArgumentNullException.ThrowIfNull(reports);
        ArgumentNullException.ThrowIfNull(currentModel);
        List<ModelChoice> scored = [];
        foreach (var local in localModels)
        {
            ModelChoice? best = null;
            foreach (var report in reports)
            {
                var score = MatchScore(local, report);
                if (score > 0 && (best is null || (score * 100_000L) + report.ServerRows.Count > (best.Score * 100_000L) + best.ServerCount))
                {
                    best = new ModelChoice(local, report, score, report.ServerRows.Count, Kept: false);
                }
            }

            if (best is not null)
            {
                scored.Add(best);
            }
        }

        if (scored.Count == 0)
        {
            return null;
        }

        // A stable sort, as upstream's Rust sort_by: equal entries keep the local models' order.
        var ordered = scored.OrderByDescending(static c => c.Score).ThenByDescending(static c => c.ServerCount).ToList();
        var top = ordered[0];
        var current = ordered.Find(c => c.Model == currentModel);
        return current is not null && current.Score == top.Score && top.ServerCount <= current.ServerCount + StabilityMargin
            ? current with { Kept = current != top }
            : top;
    }

    /// <summary>
    /// Upstream's rule for applying a choice: only an Ollama-style configured model (no <c>/</c>) is replaced by the
    /// map's choice; a Hugging Face repository keeps its name.
    /// </summary>
    public static bool IsOllamaStyle(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return !model.Contains('/', StringComparison.Ordinal);
    }

    /// <summary>
    /// The report of a model named by a Hugging Face repository: the one whose prefixes hold the model's KwaaiNet or
    /// Petals prefix, else the one whose name is the repository (case-insensitive). Null when the map lacks it.
    /// </summary>
    public static MapModelReport? FindReport(string model, IReadOnlyList<MapModelReport> reports)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(reports);
        string? kwaai = null, petals = null;
        try
        {
            kwaai = DhtPrefix.ForKwaaiNet(model);
            petals = DhtPrefix.ForPetals(model);
        }
        catch (ArgumentException)
        {
            // A name that gives no valid prefix can still match by repository name.
        }

        return reports.FirstOrDefault(r => r.DhtPrefix == kwaai || r.DhtPrefix == petals || (r.DhtPrefixes ?? []).Any(p => p == kwaai || p == petals))
            ?? reports.FirstOrDefault(r => string.Equals(r.Name, model, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Upstream's <c>normalize</c>: letters and digits only, lower case.</summary>
    internal static string Normalize(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (char.IsLetterOrDigit(c))
            {
                builder.Append(char.ToLowerInvariant(c));
            }
        }

        return builder.ToString();
    }
}
