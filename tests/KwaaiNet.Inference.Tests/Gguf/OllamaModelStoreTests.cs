// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Gguf;

namespace KwaaiNet.Inference.Tests.Gguf;

public sealed class OllamaModelStoreTests : IDisposable
{
    private const string Digest = "3f8eb4da87fa7a3c9da615036b0dc418d31fef2a30b115ff33562588b32c691d";
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Manifest(string relative, string json)
    {
        var path = Path.Combine(_temp.Path, "manifests", relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, json);
        return path;
    }

    private static string ManifestJson(string digest, long size) => $$"""
        {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
         "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:{{new string('0', 64)}}","size":10},
         "layers":[{"mediaType":"application/vnd.ollama.image.template","digest":"sha256:{{new string('1', 64)}}","size":5},
                   {"mediaType":"application/vnd.ollama.image.model","digest":"{{digest}}","size":{{size}}}]}
        """;

    private string Blob(string hex, int size)
    {
        var path = Path.Combine(_temp.Path, "blobs", "sha256-" + hex);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, new byte[size]);
        return path;
    }

    [Fact]
    public void Resolve_DefaultHostNamespaceAndTag_FindsModelBlob()
    {
        Manifest("registry.ollama.ai/library/llama3.2/latest", ManifestJson("sha256:" + Digest, 7));
        Manifest("registry.ollama.ai/library/llama3.2/1b", ManifestJson("sha256:" + Digest.ToUpperInvariant(), 7));
        Manifest("example.com/team/tiny/q8", ManifestJson("sha256:" + Digest, 7));
        var blob = Blob(Digest, 7);
        var store = new OllamaModelStore(_temp.Path);

        Assert.Equal(blob, store.ResolveModelPath("llama3.2"));
        Assert.Equal(blob, store.ResolveModelPath("llama3.2:1b"));
        Assert.Equal(blob, store.ResolveModelPath("library/llama3.2:latest"));
        Assert.Equal(blob, store.ResolveModelPath("example.com/team/tiny:q8"));
    }

    /// <summary>Listed references are upstream's (<c>map.rs</c> manifest scan) and resolve back to their blobs.</summary>
    [Fact]
    public void ModelReferences_ListsUpstreamFormsThatResolve_AndSkipsBadPaths()
    {
        Blob(Digest, 7);
        var json = ManifestJson("sha256:" + Digest, 7);
        Manifest("registry.ollama.ai/library/llama3.2/latest", json);
        Manifest("registry.ollama.ai/library/llama3.1/8b", json);
        Manifest("registry.ollama.ai/alice/mymodel/latest", json);
        Manifest("hf.co/unsloth/Llama-3.1-8B-Instruct-GGUF/Q4_K_M", json);
        Manifest("registry.ollama.ai/library/too-shallow", json);
        Manifest("registry.ollama.ai/library/bad name/latest", json);
        var store = new OllamaModelStore(_temp.Path);

        var references = store.ModelReferences();

        Assert.Equal(["alice/mymodel", "hf.co/unsloth/Llama-3.1-8B-Instruct-GGUF:Q4_K_M", "llama3.1:8b", "llama3.2"], references);
        Assert.All(references, r => Assert.Equal(Path.Combine(_temp.Path, "blobs", "sha256-" + Digest), store.ResolveModelPath(r)));
        Assert.Empty(new OllamaModelStore(Path.Combine(_temp.Path, "absent")).ModelReferences());
    }

    [Fact]
    public void Resolve_MissingTag_SaysWhereItLooked()
    {
        Manifest("registry.ollama.ai/library/llama3.2/latest", ManifestJson("sha256:" + Digest, 7));
        Blob(Digest, 7);
        var store = new OllamaModelStore(_temp.Path);

        var ex = Assert.Throws<FileNotFoundException>(() => store.ResolveModelPath("llama3.2:70b"));

        Assert.Contains(Path.Combine("manifests", "registry.ollama.ai", "library", "llama3.2", "70b"), ex.Message, StringComparison.Ordinal);
        Assert.Contains("'llama3.2:70b'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_MissingBlob_SaysWhichBlob()
    {
        Manifest("registry.ollama.ai/library/m/latest", ManifestJson("sha256:" + Digest, 7));
        var ex = Assert.Throws<FileNotFoundException>(() => new OllamaModelStore(_temp.Path).ResolveModelPath("m"));
        Assert.Contains("sha256-" + Digest, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("md5:0123")]
    [InlineData("sha256:abc")]
    [InlineData("sha256:../../../../etc/passwd")]
    [InlineData("sha256:3f8eb4da87fa7a3c9da615036b0dc418d31fef2a30b115ff33562588b32c691z")]
    public void Resolve_BadDigest_IsAFormatError(string digest)
    {
        Manifest("registry.ollama.ai/library/m/latest", ManifestJson(digest, 7));
        var ex = Assert.Throws<FormatException>(() => new OllamaModelStore(_temp.Path).ResolveModelPath("m"));
        Assert.Contains("64 hex digits", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1,2]", "no 'layers' array")]
    [InlineData("""{"layers":[{"mediaType":"application/vnd.ollama.image.license","digest":"x"}]}""", "no layer of media type application/vnd.ollama.image.model")]
    public void Resolve_BadManifest_IsAFormatError(string json, string expected)
    {
        Manifest("registry.ollama.ai/library/m/latest", json);
        var ex = Assert.Throws<FormatException>(() => new OllamaModelStore(_temp.Path).ResolveModelPath("m"));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_OversizedManifestOrBlobSizeMismatch_IsAFormatError()
    {
        Manifest("registry.ollama.ai/library/big/latest", new string(' ', OllamaModelStore.MaxManifestBytes + 1));
        Manifest("registry.ollama.ai/library/m/latest", ManifestJson("sha256:" + Digest, 8));
        Blob(Digest, 7);
        var store = new OllamaModelStore(_temp.Path);

        Assert.Contains("more than the limit", Assert.Throws<FormatException>(() => store.ResolveModelPath("big")).Message, StringComparison.Ordinal);
        Assert.Contains("the manifest", Assert.Throws<FormatException>(() => store.ResolveModelPath("m")).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../secret")]
    [InlineData("a/../../b")]
    [InlineData("llama:../../../x")]
    [InlineData("llama:..")]
    [InlineData(".hidden")]
    [InlineData("h/n/m/extra")]
    [InlineData("a\\b")]
    [InlineData("model:")]
    [InlineData("/abs")]
    public void Resolve_TraversalOrMalformedReference_IsRefused(string reference)
    {
        var ex = Assert.Throws<ArgumentException>(() => new OllamaModelStore(_temp.Path).ResolveModelPath(reference));
        Assert.Contains(reference, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultRoots_HonourOllamaModelsFirst()
    {
        var roots = OllamaModelStore.DefaultRoots();
        var env = Environment.GetEnvironmentVariable("OLLAMA_MODELS");
        if (!string.IsNullOrWhiteSpace(env))
        {
            Assert.Equal(env, roots[0]);
        }

        Assert.Contains(roots, r => r.EndsWith(Path.Combine(".ollama", "models"), StringComparison.Ordinal));
    }

    [Fact]
    public void ModelFolder_ResolvesByNameWithOrWithoutExtension()
    {
        var path = _temp.File("tiny.gguf");
        File.WriteAllBytes(path, new GgufWriter().ToArray());
        File.WriteAllText(_temp.File("notes.txt"), "x");
        var folder = new GgufModelFolder(_temp.Path);

        Assert.Equal(path, folder.ResolveModelPath("tiny"));
        Assert.Equal(path, folder.ResolveModelPath("tiny.gguf"));
        Assert.Equal(["tiny"], folder.ModelNames());
        Assert.Contains(_temp.File("absent.gguf"), Assert.Throws<FileNotFoundException>(() => folder.ResolveModelPath("absent")).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../tiny")]
    [InlineData("sub/tiny")]
    [InlineData("..")]
    [InlineData("/etc/passwd")]
    public void ModelFolder_PathInName_IsRefused(string name) =>
        Assert.Throws<ArgumentException>(() => new GgufModelFolder(_temp.Path).ResolveModelPath(name));
}
