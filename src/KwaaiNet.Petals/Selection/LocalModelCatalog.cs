// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Node;
using KwaaiNet.Inference;
using KwaaiNet.Inference.Gguf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Selection;

/// <summary>
/// The models this node holds, in the places the inference-worker resolves them from (the same
/// <c>KwaaiNet:Inference</c> settings): the models folder (<c>{home}/models</c> unless <c>ModelsFolder</c> is set) by file
/// name, then the Ollama store (<c>OllamaModels</c>, else Ollama's default places) by reference.
/// </summary>
internal sealed class LocalModelCatalog(IOptions<NodeOptions> nodeOptions, IOptions<InferenceOptions> inferenceOptions, ILogger<LocalModelCatalog> logger)
{
    private readonly NodeOptions _node = nodeOptions.Value;
    private readonly InferenceOptions _inference = inferenceOptions.Value;

    /// <summary>Every local model reference, sorted and without duplicates; a place that cannot be read is logged and skipped.</summary>
    public IReadOnlyList<string> ListModels()
    {
        SortedSet<string> models = new(StringComparer.Ordinal);
        var folder = string.IsNullOrWhiteSpace(_inference.ModelsFolder) ? Path.Combine(_node.EffectiveHome, "models") : _inference.ModelsFolder;
        Collect(folder, () => new GgufModelFolder(folder).ModelNames(), models);
        IEnumerable<string> roots = string.IsNullOrWhiteSpace(_inference.OllamaModels) ? OllamaModelStore.DefaultRoots() : [_inference.OllamaModels];
        foreach (var root in roots)
        {
            Collect(root, () => new OllamaModelStore(root).ModelReferences(), models);
        }

        return [.. models];
    }

    private void Collect(string place, Func<IReadOnlyList<string>> list, SortedSet<string> models)
    {
        try
        {
            models.UnionWith(list());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            logger.LocalModelsUnreadable(place, e);
        }
    }
}
