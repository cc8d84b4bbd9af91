// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Gguf;

namespace KwaaiNet.Inference.Hosting;

/// <summary>
/// Finds the GGUF file for the configured model, in order: <see cref="InferenceOptions.ModelPath"/>; the model
/// reference itself when it names an existing <c>.gguf</c> file; the models folder (<c>{name}.gguf</c>, where a Hugging
/// Face reference <c>owner/name</c> is looked up by <c>name</c>); the Ollama store (<c>llama3.1:8b</c>).
/// </summary>
internal static class ModelFileResolver
{
    /// <summary>The GGUF path, and where it was found (for the log).</summary>
    /// <exception cref="FileNotFoundException">No source has the model; the message lists every place looked at.</exception>
    public static (string Path, string Source) Resolve(string model, InferenceOptions options, string home)
    {
        if (!string.IsNullOrWhiteSpace(options.ModelPath))
        {
            return File.Exists(options.ModelPath)
                ? (Path.GetFullPath(options.ModelPath), "KwaaiNet:Inference:ModelPath")
                : throw new FileNotFoundException($"KwaaiNet:Inference:ModelPath names {options.ModelPath}, which does not exist", options.ModelPath);
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        List<string> tried = [];
        if (model.EndsWith(GgufModelFolder.Extension, StringComparison.OrdinalIgnoreCase))
        {
            if (File.Exists(model))
            {
                return (Path.GetFullPath(model), "the model setting");
            }

            tried.Add(model);
        }

        var folder = new GgufModelFolder(string.IsNullOrWhiteSpace(options.ModelsFolder) ? Path.Combine(home, "models") : options.ModelsFolder);
        var name = model.Contains('/', StringComparison.Ordinal) ? model[(model.LastIndexOf('/') + 1)..] : model;
        if (TryFind(() => folder.ResolveModelPath(name), tried) is { } inFolder)
        {
            return (inFolder, "the models folder " + folder.Folder);
        }

        IEnumerable<string> roots = string.IsNullOrWhiteSpace(options.OllamaModels) ? OllamaModelStore.DefaultRoots() : [options.OllamaModels];
        foreach (var root in roots)
        {
            var store = new OllamaModelStore(root);
            if (TryFind(() => store.ResolveModelPath(model), tried) is { } blob)
            {
                return (blob, "the Ollama store " + store.Root);
            }
        }

        throw new FileNotFoundException(
            $"no GGUF file for model '{model}'. Looked at: {string.Join("; ", tried)}. Pull it with Ollama, put a .gguf file in {folder.Folder}, or set KwaaiNet:Inference:ModelPath.");
    }

    private static string? TryFind(Func<string> resolve, List<string> tried)
    {
        try
        {
            return resolve();
        }
        catch (Exception e) when (e is FileNotFoundException or ArgumentException or FormatException or IOException or UnauthorizedAccessException)
        {
            tried.Add(e.Message);
            return null;
        }
    }
}
