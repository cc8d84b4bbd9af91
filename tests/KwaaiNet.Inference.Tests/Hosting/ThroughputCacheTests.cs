// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text.Json;
using KwaaiNet.Inference.Hosting;
using KwaaiNet.Inference.Tests.Gguf;

namespace KwaaiNet.Inference.Tests.Hosting;

public sealed class ThroughputCacheTests : IDisposable
{
    private static readonly ThroughputEntry Entry = new(42.5, 4096, 0, 8, "float32", "CPUExecutionProvider", new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero));
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Store_KeepsOtherModelsAndUpstreamsFields_AndFindReturnsTheEntry()
    {
        var path = _folder.File(ThroughputCache.FileName);
        File.WriteAllText(path, """{ "other/model": { "compute_tps": 7.0, "hidden_size": 2048 } }""");
        var cache = new ThroughputCache(path);

        cache.Store("llama3.1:8b", Entry);

        Assert.Equal(Entry, cache.Find("llama3.1:8b", Entry with { ComputeTokensPerSecond = 0 }));
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal(7.0, json.RootElement.GetProperty("other/model").GetProperty("compute_tps").GetDouble());
        var written = json.RootElement.GetProperty("llama3.1:8b");
        Assert.Equal(42.5, written.GetProperty("compute_tps").GetDouble());
        Assert.Equal(4096, written.GetProperty("hidden_size").GetInt32());
    }

    [Theory]
    [InlineData("span")]
    [InlineData("dtype")]
    [InlineData("provider")]
    [InlineData("hidden")]
    public void Find_AnEntryForAnotherSpanOrRuntime_IsNotUsed(string differs)
    {
        var cache = new ThroughputCache(_folder.File(ThroughputCache.FileName));
        cache.Store("m", Entry);

        var wanted = differs switch
        {
            "span" => Entry with { EndBlock = 9 },
            "dtype" => Entry with { DataType = "float16" },
            "provider" => Entry with { Provider = "CUDAExecutionProvider" },
            _ => Entry with { HiddenSize = 2048 },
        };

        Assert.Null(cache.Find("m", wanted));
        Assert.NotNull(cache.Find("m", Entry));
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("[1, 2, 3]")]
    [InlineData("""{ "m": 12.5 }""")]
    [InlineData("""{ "m": { "compute_tps": "fast" } }""")]
    [InlineData("""{ "m": { "compute_tps": -1, "hidden_size": 4096, "start_block": 0, "end_block": 8, "dtype": "float32", "provider": "CPUExecutionProvider", "measured_at": "2026-11-26T08:00:00+00:00" } }""")]
    public void Find_AMalformedFileOrEntry_IsAMiss_AndStoreReplacesIt(string content)
    {
        var path = _folder.File(ThroughputCache.FileName);
        File.WriteAllText(path, content);
        var cache = new ThroughputCache(path);

        Assert.Null(cache.Find("m", Entry));
        cache.Store("m", Entry);
        Assert.Equal(Entry, cache.Find("m", Entry));
    }

    [Fact]
    public void Find_NoFile_IsAMiss()
    {
        Assert.Null(new ThroughputCache(_folder.File("absent.json")).Find("m", Entry));
    }
}
