// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Records;

/// <summary>
/// The dht prefix of a model, by the two rules in use (docs/records.md §5): upstream KwaaiNet's, which every block
/// is announced under, and Petals' <c>-hf</c> rule, which blocks are also announced under while Petals serving is on.
/// </summary>
public static class DhtPrefix
{
    /// <summary>The suffix Petals appends to Llama prefixes.</summary>
    public const string PetalsSuffix = "-hf";

    /// <summary>
    /// Upstream KwaaiNet's prefix (<c>config.rs</c> <c>effective_dht_prefix</c>): the map's <c>dht_prefix</c> for the
    /// model when known, otherwise the last <c>/</c>-separated part of the model name with <c>.</c> replaced by
    /// <c>-</c> (<c>unsloth/Llama-3.1-8B-Instruct</c> → <c>Llama-3-1-8B-Instruct</c>; no <c>-hf</c>).
    /// </summary>
    /// <param name="model">A Hugging Face repository or an Ollama reference.</param>
    /// <param name="mapDhtPrefix">The map's <c>dht_prefix</c> for the model, when it was chosen from the map.</param>
    /// <exception cref="ArgumentException">The result is not a valid prefix (empty, or with a space).</exception>
    public static string ForKwaaiNet(string model, string? mapDhtPrefix = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var prefix = string.IsNullOrEmpty(mapDhtPrefix) ? BaseName(model) : mapDhtPrefix;
        return Checked(prefix, model);
    }

    /// <summary>
    /// Petals' prefix for a Llama model (petals <c>models/llama/config.py</c>): the last <c>/</c>-separated part of the
    /// name with <c>.</c> replaced by <c>-</c>, then <c>-hf</c> appended unless it already ends so
    /// (<c>meta-llama/Meta-Llama-3.1-8B</c> → <c>Meta-Llama-3-1-8B-hf</c>). Applied to a KwaaiNet prefix it gives that
    /// prefix's Petals variant, which the map merges with it.
    /// </summary>
    /// <exception cref="ArgumentException">The result is not a valid prefix (empty, or with a space).</exception>
    public static string ForPetals(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var prefix = BaseName(model);
        if (!prefix.EndsWith(PetalsSuffix, StringComparison.Ordinal))
        {
            prefix += PetalsSuffix;
        }

        return Checked(BaseName(model).Length == 0 ? string.Empty : prefix, model);
    }

    /// <summary>
    /// True for a private prefix, one that starts with <c>_</c>: Petals gives it no <c>_petals.models</c> entry
    /// (<c>ModuleAnnouncerThread</c>).
    /// </summary>
    public static bool IsPrivate(string dhtPrefix)
    {
        ArgumentNullException.ThrowIfNull(dhtPrefix);
        return dhtPrefix.StartsWith('_');
    }

    private static string BaseName(string model) => model[(model.LastIndexOf('/') + 1)..].Replace('.', '-');

    private static string Checked(string prefix, string model) => ModuleUid.IsValidPrefix(prefix)
        ? prefix
        : throw new ArgumentException($"Model '{model}' gives the dht prefix '{prefix}', which is empty or has a '.' or a space.", nameof(model));
}
