// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Hosting;
using KwaaiNet.Inference.Tests.Gguf;

namespace KwaaiNet.Inference.Tests.Hosting;

public sealed class ModelFileResolverTests : IDisposable
{
    private readonly TempFolder _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Resolve_ModelPathSetting_WinsOverEverything()
    {
        var file = Touch(_home.File("chosen.gguf"));
        Touch(Path.Combine(_home.Path, "models", "tiny.gguf"));

        var (path, source) = ModelFileResolver.Resolve("tiny", Options(modelPath: file), _home.Path);

        Assert.Equal(file, path);
        Assert.Contains("ModelPath", source, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_ModelPathSettingMissing_FailsNamingIt()
    {
        var error = Assert.Throws<FileNotFoundException>(() => ModelFileResolver.Resolve("tiny", Options(modelPath: _home.File("gone.gguf")), _home.Path));

        Assert.Contains("gone.gguf", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_AGgufPathAsTheModel_IsUsedAsIs()
    {
        var file = Touch(_home.File("direct.gguf"));

        Assert.Equal(file, ModelFileResolver.Resolve(file, Options(), _home.Path).Path);
    }

    [Fact]
    public void Resolve_AHuggingFaceReference_IsLookedUpByItsNameInTheModelsFolder()
    {
        var file = Touch(Path.Combine(_home.Path, "models", "Llama-3.1-8B-Instruct.gguf"));

        var (path, source) = ModelFileResolver.Resolve("unsloth/Llama-3.1-8B-Instruct", Options(), _home.Path);

        Assert.Equal(file, path);
        Assert.Contains("models folder", source, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_AnOllamaReference_FindsTheBlobThroughItsManifest()
    {
        var store = Path.Combine(_home.Path, "ollama");
        var digest = new string('a', 64);
        var manifest = Path.Combine(store, "manifests", "registry.ollama.ai", "library", "llama3.2", "1b");
        Directory.CreateDirectory(Path.GetDirectoryName(manifest)!);
        File.WriteAllText(manifest, $$"""{ "layers": [ { "mediaType": "application/vnd.ollama.image.model", "digest": "sha256:{{digest}}", "size": 4 } ] }""");
        var blob = Path.Combine(store, "blobs", "sha256-" + digest);
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        File.WriteAllBytes(blob, [1, 2, 3, 4]);

        var (path, source) = ModelFileResolver.Resolve("llama3.2:1b", Options(ollama: store), _home.Path);

        Assert.Equal(blob, path);
        Assert.Contains("Ollama store", source, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_NowhereToBeFound_ListsEveryPlaceAndHowToFixIt()
    {
        var store = Path.Combine(_home.Path, "no-store");

        var error = Assert.Throws<FileNotFoundException>(() => ModelFileResolver.Resolve("llama3.1:8b", Options(ollama: store), _home.Path));

        Assert.Contains("no GGUF file for model 'llama3.1:8b'", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_home.Path, "models"), error.Message, StringComparison.Ordinal);
        Assert.Contains(store, error.Message, StringComparison.Ordinal);
        Assert.Contains("KwaaiNet:Inference:ModelPath", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_AReferenceThatTriesToLeaveTheStore_IsNotFollowed()
    {
        var error = Assert.Throws<FileNotFoundException>(() => ModelFileResolver.Resolve("../../etc/passwd", Options(ollama: _home.Path), _home.Path));

        Assert.Contains("no GGUF file", error.Message, StringComparison.Ordinal);
    }

    private static InferenceOptions Options(string? modelPath = null, string? ollama = null) =>
        new() { ModelPath = modelPath, OllamaModels = ollama ?? Path.Combine(Path.GetTempPath(), "kwaainet-no-ollama-store") };

    private static string Touch(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, [0]);
        return path;
    }
}
