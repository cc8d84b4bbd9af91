// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text.Json;
using System.Text.RegularExpressions;

namespace KwaaiNet.Inference.Gguf;

/// <summary>
/// Finds a model's GGUF blob in an Ollama store: <c>manifests/&lt;host&gt;/&lt;namespace&gt;/&lt;model&gt;/&lt;tag&gt;</c>
/// names the layers, the one of media type <see cref="ModelMediaType"/> carries the weights, and its digest
/// <c>sha256:&lt;hex&gt;</c> is the file <c>blobs/sha256-&lt;hex&gt;</c>.
/// </summary>
public sealed partial class OllamaModelStore
{
    /// <summary>The media type of the layer that holds the GGUF weights.</summary>
    public const string ModelMediaType = "application/vnd.ollama.image.model";

    /// <summary>The largest manifest read (1 MiB; real ones are under 2 KiB).</summary>
    public const int MaxManifestBytes = 1 << 20;

    private const string DefaultHost = "registry.ollama.ai";
    private const string DefaultNamespace = "library";
    private const string DefaultTag = "latest";

    /// <summary>Creates a store over the models folder <paramref name="root"/> (the one holding <c>manifests</c> and <c>blobs</c>).</summary>
    public OllamaModelStore(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = System.IO.Path.GetFullPath(root);
    }

    /// <summary>The models folder.</summary>
    public string Root { get; }

    /// <summary>
    /// Where Ollama keeps models, in order: <c>$OLLAMA_MODELS</c> when set, <c>~/.ollama/models</c> (a user install),
    /// <c>/usr/share/ollama/.ollama/models</c> (the Linux system service).
    /// </summary>
    public static IReadOnlyList<string> DefaultRoots()
    {
        var roots = new List<string>();
        var env = Environment.GetEnvironmentVariable("OLLAMA_MODELS");
        if (!string.IsNullOrWhiteSpace(env))
        {
            roots.Add(env);
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (!string.IsNullOrEmpty(home))
        {
            roots.Add(System.IO.Path.Combine(home, ".ollama", "models"));
        }

        if (OperatingSystem.IsLinux())
        {
            roots.Add("/usr/share/ollama/.ollama/models");
        }

        return roots;
    }

    /// <summary>The first of <see cref="DefaultRoots"/> that has a <c>manifests</c> folder, or null.</summary>
    public static OllamaModelStore? FindDefault() =>
        DefaultRoots().FirstOrDefault(r => Directory.Exists(System.IO.Path.Combine(r, "manifests"))) is { } root ? new OllamaModelStore(root) : null;

    /// <summary>
    /// The path of the GGUF blob for <paramref name="reference"/>: <c>[host/][namespace/]model[:tag]</c>, e.g.
    /// <c>llama3.2:1b</c> (host <c>registry.ollama.ai</c>, namespace <c>library</c>, tag <c>latest</c> by default).
    /// </summary>
    /// <exception cref="ArgumentException">The reference is malformed or tries to leave the store.</exception>
    /// <exception cref="FileNotFoundException">No manifest for that model and tag, or its blob is missing.</exception>
    /// <exception cref="FormatException">The manifest is too large, not JSON, has no model layer, or a bad digest.</exception>
    public string ResolveModelPath(string reference)
    {
        var (host, ns, model, tag) = ParseReference(reference);
        var manifestPath = Inside(System.IO.Path.Combine(Root, "manifests", host, ns, model, tag), reference);
        var manifest = new FileInfo(manifestPath);
        if (!manifest.Exists)
        {
            throw new FileNotFoundException($"no Ollama manifest for '{reference}': looked for {manifestPath}", manifestPath);
        }

        if (manifest.Length > MaxManifestBytes)
        {
            throw new FormatException($"Ollama manifest {manifestPath} has {manifest.Length} bytes, more than the limit of {MaxManifestBytes}");
        }

        var (digest, size) = ReadModelLayer(File.ReadAllBytes(manifestPath), manifestPath);
        var blob = Inside(System.IO.Path.Combine(Root, "blobs", "sha256-" + digest), reference);
        var info = new FileInfo(blob);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"the model blob of '{reference}' is missing: looked for {blob} (manifest {manifestPath})", blob);
        }

        if (size is { } expected && info.Length != expected)
        {
            throw new FormatException($"the model blob {blob} has {info.Length} bytes, the manifest {manifestPath} says {expected}");
        }

        return blob;
    }

    /// <summary>The most manifests <see cref="ModelReferences"/> lists (a store holds tens).</summary>
    public const int MaxListedManifests = 4096;

    /// <summary>
    /// The references of the models in the store, sorted and without duplicates, in the form
    /// <see cref="ResolveModelPath"/> takes and upstream KwaaiNet lists them (<c>src/map.rs</c> manifest scan):
    /// <c>registry.ollama.ai/library/llama3.2/1b</c> → <c>llama3.2:1b</c>, <c>registry.ollama.ai/alice/m/latest</c> →
    /// <c>alice/m</c>, <c>hf.co/org/model/Q4_K_M</c> → <c>hf.co/org/model:Q4_K_M</c> (the tag <c>latest</c> is left out).
    /// Paths whose parts are not valid names are skipped; at most <see cref="MaxListedManifests"/> are read.
    /// An absent store lists nothing.
    /// </summary>
    /// <exception cref="IOException">The store could not be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The store could not be read.</exception>
    public IReadOnlyList<string> ModelReferences()
    {
        var manifests = System.IO.Path.Combine(Root, "manifests");
        if (!Directory.Exists(manifests))
        {
            return [];
        }

        var options = new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 3, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        SortedSet<string> references = new(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(manifests, "*", options).Take(MaxListedManifests))
        {
            var parts = System.IO.Path.GetRelativePath(manifests, file).Split(System.IO.Path.DirectorySeparatorChar);
            if (parts.Length != 4 || parts.Any(static p => !NamePattern().IsMatch(p) || p.Contains("..", StringComparison.Ordinal)))
            {
                continue;
            }

            var (host, ns, model, tag) = (parts[0], parts[1], parts[2], parts[3]);
            var name = host == DefaultHost ? (ns == DefaultNamespace ? model : $"{ns}/{model}") : $"{host}/{ns}/{model}";
            references.Add(tag == DefaultTag ? name : $"{name}:{tag}");
        }

        return [.. references];
    }

    private static (string Digest, long? Size) ReadModelLayer(byte[] json, string manifestPath)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException($"Ollama manifest {manifestPath} has no 'layers' array");
            }

            foreach (var layer in layers.EnumerateArray())
            {
                if (layer.ValueKind != JsonValueKind.Object
                    || !layer.TryGetProperty("mediaType", out var mediaType) || mediaType.ValueKind != JsonValueKind.String
                    || mediaType.GetString() != ModelMediaType)
                {
                    continue;
                }

                var digest = layer.TryGetProperty("digest", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : string.Empty;
                var match = DigestPattern().Match(digest);
                if (!match.Success)
                {
                    throw new FormatException($"Ollama manifest {manifestPath}: model layer digest '{Truncate(digest)}' is not 'sha256:' and 64 hex digits");
                }

                long? size = layer.TryGetProperty("size", out var s) && s.TryGetInt64(out var n) ? n : null;
                return (match.Groups[1].Value.ToLowerInvariant(), size);
            }

            throw new FormatException($"Ollama manifest {manifestPath} has no layer of media type {ModelMediaType}");
        }
        catch (JsonException ex)
        {
            throw new FormatException($"Ollama manifest {manifestPath} is not valid JSON: {ex.Message}", ex);
        }
    }

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "…";

    private string Inside(string path, string reference)
    {
        var full = System.IO.Path.GetFullPath(path);
        var root = Root.EndsWith(System.IO.Path.DirectorySeparatorChar) ? Root : Root + System.IO.Path.DirectorySeparatorChar;
        return full.StartsWith(root, StringComparison.Ordinal)
            ? full
            : throw new ArgumentException($"model reference '{reference}' leads outside the store {Root}", nameof(reference));
    }

    private static (string Host, string Namespace, string Model, string Tag) ParseReference(string reference)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reference);
        if (reference.Length > 512)
        {
            throw new ArgumentException("a model reference is at most 512 characters", nameof(reference));
        }

        var name = reference;
        var tag = DefaultTag;
        var colon = reference.LastIndexOf(':');
        if (colon > reference.LastIndexOf('/'))
        {
            name = reference[..colon];
            tag = reference[(colon + 1)..];
        }

        var parts = name.Split('/');
        var (host, ns, model) = parts.Length switch
        {
            1 => (DefaultHost, DefaultNamespace, parts[0]),
            2 => (DefaultHost, parts[0], parts[1]),
            3 => (parts[0], parts[1], parts[2]),
            _ => throw new ArgumentException($"model reference '{reference}' has more than three path parts", nameof(reference)),
        };
        foreach (var (part, what) in new[] { (host, "host"), (ns, "namespace"), (model, "model"), (tag, "tag") })
        {
            if (!NamePattern().IsMatch(part) || part.Contains("..", StringComparison.Ordinal))
            {
                throw new ArgumentException($"model reference '{reference}': {what} '{part}' must be letters, digits, '.', '_' or '-' (not starting with '.' and without '..')", nameof(reference));
            }
        }

        return (host, ns, model, tag);
    }

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex("^sha256:([0-9a-fA-F]{64})$", RegexOptions.CultureInvariant)]
    private static partial Regex DigestPattern();
}
