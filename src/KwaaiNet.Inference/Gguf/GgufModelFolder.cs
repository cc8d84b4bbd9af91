// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Gguf;

/// <summary>A folder of plain <c>.gguf</c> files, each model named by its file name with or without the extension.</summary>
public sealed class GgufModelFolder
{
    /// <summary>The extension of model files.</summary>
    public const string Extension = ".gguf";

    /// <summary>Creates a resolver over <paramref name="folder"/>.</summary>
    public GgufModelFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Folder = Path.GetFullPath(folder);
    }

    /// <summary>The folder.</summary>
    public string Folder { get; }

    /// <summary>The model names available (file names without <c>.gguf</c>), sorted.</summary>
    public IReadOnlyList<string> ModelNames() => Directory.Exists(Folder)
        ? [.. Directory.EnumerateFiles(Folder, "*" + Extension).Select(Path.GetFileNameWithoutExtension).OfType<string>().Order(StringComparer.Ordinal)]
        : [];

    /// <summary>The path of model <paramref name="name"/> (<c>tiny</c> or <c>tiny.gguf</c>).</summary>
    /// <exception cref="ArgumentException">The name has a path separator or is a relative-path component.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public string ResolveModelPath(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.IndexOfAny(['/', '\\', Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar]) >= 0
            || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name is "." or "..")
        {
            throw new ArgumentException($"model name '{name}' must be a plain file name", nameof(name));
        }

        var file = name.EndsWith(Extension, StringComparison.OrdinalIgnoreCase) ? name : name + Extension;
        var path = Path.Combine(Folder, file);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"no model '{name}': looked for {path}", path);
    }
}
