// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text.Json;
using System.Threading.Channels;
using Grpc.Core;
using KwaaiNet.Contracts.Hosting;
using KwaaiNet.Contracts.Inference.V1;
using KwaaiNet.Contracts.Messages;
using KwaaiNet.Contracts.Node;
using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Hosting;
using KwaaiNet.Inference.Runtime;
using KwaaiNet.Inference.Tests.Gguf;
using KwaaiNet.Testing;
using KwaaiNet.Testing.Inference;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using InferenceClient = KwaaiNet.Contracts.Inference.V1.Inference.InferenceClient;

namespace KwaaiNet.Inference.Tests.Hosting;

public sealed class InferenceWorkerHostingTests
{
    [Theory]
    [InlineData("false", false)]
    [InlineData("true", true)]
    public async Task Info_CpuBuild_ListsCpuSelectedAndEchoesNodeSettings(string useGpu, bool expectedUseGpu)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(
            new Dictionary<string, string?>
            {
                ["KwaaiNet:Node:model"] = "llama3.1:8b",
                ["KwaaiNet:Node:use_gpu"] = useGpu,
                ["KwaaiNet:Node:start_block"] = "4",
                ["KwaaiNet:Node:blocks"] = "6",
            },
            ct);
        var client = new InferenceClient(host.Channel);

        var info = await client.InfoAsync(new InfoRequest(), cancellationToken: ct);

        Assert.Equal("Microsoft.ML.OnnxRuntime", info.Package);
        Assert.False(string.IsNullOrWhiteSpace(info.OnnxRuntimeVersion));
        var cpu = Assert.Single(info.ExecutionProviders, static p => p.Name == ExecutionProviders.Cpu);
        Assert.True(cpu.Available);
        Assert.True(cpu.Selected);
        Assert.Single(info.ExecutionProviders, static p => p.Selected);
        Assert.Equal(expectedUseGpu, info.UseGpu);
        Assert.Equal("llama3.1:8b", info.Model);
        Assert.Equal(4, info.StartBlock);
        Assert.Equal(10, info.EndBlock);
    }

    [Fact]
    public async Task Info_NoModelFile_ReportsFailedWithEveryPlaceLookedAt_AndCallsFailCleanly()
    {
        var ct = TestContext.Current.CancellationToken;
        using var ollama = new TempFolder();
        await using var host = await StartAsync(new Dictionary<string, string?> { ["KwaaiNet:Inference:OllamaModels"] = ollama.Path, ["KwaaiNet:Node:start_block"] = "0" }, ct);
        var client = new InferenceClient(host.Channel);

        var info = await Poll.UntilAsync(
            async c => await client.InfoAsync(new InfoRequest(), cancellationToken: c), static i => i.State != ModelState.Loading, TimeSpan.FromSeconds(10), ct);
        var forward = await Assert.ThrowsAsync<RpcException>(async () => await client.ForwardAsync(new ForwardRequest(), cancellationToken: ct));

        Assert.Equal(NodeOptions.DefaultModel, info.Model);
        Assert.Equal(ModelState.Failed, info.State);
        Assert.Contains($"no GGUF file for model '{NodeOptions.DefaultModel}'", info.StateDetail, StringComparison.Ordinal);
        Assert.Contains("Llama-3.1-8B-Instruct.gguf", info.StateDetail, StringComparison.Ordinal);
        Assert.Contains(ollama.Path, info.StateDetail, StringComparison.Ordinal);
        Assert.Equal(0, info.StartBlock);
        Assert.Equal(8, info.EndBlock);
        Assert.Equal(StatusCode.FailedPrecondition, forward.StatusCode);
        Assert.Contains("serves no blocks", forward.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Info_ModelLoaded_ReportsSpanShapeDtypeCacheAndMeasuredThroughput_ThenTheCacheServesTheNextStart()
    {
        var ct = TestContext.Current.CancellationToken;
        using var home = new TempFolder();
        InfoResponse measured;
        ThroughputMeasured published;
        await using (var worker = await TinyWorker.StartAsync(home.Path, 1, 1, ct, add: AddSink))
        {
            measured = await worker.WaitForAsync(static i => i.Throughput > 0, ct);
            published = await worker.Host.App.Services.GetRequiredService<MessageSink>().NextAsync<ThroughputMeasured>(ct);
        }

        await using var again = await TinyWorker.StartAsync(home.Path, 1, 1, ct, add: AddSink);
        var cached = await again.WaitForAsync(static i => i.Throughput > 0, ct);
        var republished = await again.Host.App.Services.GetRequiredService<MessageSink>().NextAsync<ThroughputMeasured>(ct);

        Assert.Equal(ModelState.Ready, measured.State);
        Assert.Equal((1, 2, 2), (measured.StartBlock, measured.EndBlock, measured.TotalBlocks));
        Assert.Equal("float32", measured.Dtype);
        Assert.Equal(TinyWorker.ModelPath(home.Path), measured.ModelPath);
        Assert.Equal(TinyWorker.Config.HiddenSize, measured.HiddenSize);
        Assert.Equal(TinyWorker.Config.VocabSize, measured.VocabSize);
        Assert.Equal(TinyWorker.Config.ContextLength, measured.MaxSequenceLength);
        Assert.Equal((1L << 30) / (2 * TinyWorker.Config.KvHeadCount * TinyWorker.Config.HeadSize * 4), measured.CacheTokensLeft);
        Assert.Equal("measured", measured.ThroughputSource);
        Assert.Equal(measured.Throughput, published.DecodeTokensPerSecond);
        Assert.False(published.FromCache);
        Assert.Equal((TinyWorker.ModelName, 1, 2, 2, "float32", ExecutionProviders.Cpu), (published.Model, published.StartBlock, published.EndBlock, published.TotalBlocks, published.DataType, published.Provider));

        Assert.Equal("cache", cached.ThroughputSource);
        Assert.Equal(measured.Throughput, cached.Throughput);
        Assert.True(republished.FromCache);
        using var cache = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(home.Path, "throughput_cache.json"), ct));
        var entry = cache.RootElement.GetProperty(TinyWorker.ModelName);
        Assert.Equal(measured.Throughput, entry.GetProperty("compute_tps").GetDouble());
        Assert.Equal(TinyWorker.Config.HiddenSize, entry.GetProperty("hidden_size").GetInt32());
    }

    [Fact]
    public async Task TokensProcessed_IsPublishedForTheStepsOfAPeriod()
    {
        var ct = TestContext.Current.CancellationToken;
        using var home = new TempFolder();
        await using var worker = await TinyWorker.StartAsync(
            home.Path,
            0,
            2,
            ct,
            new Dictionary<string, string?> { ["KwaaiNet:Inference:MeasureThroughput"] = "false", ["KwaaiNet:Inference:ReportPeriod"] = "00:00:00.200" },
            AddSink);
        var hidden = TinyWorker.Config.HiddenSize;

        await worker.RunSessionAsync(8, [(new float[3 * hidden], 3), (new float[hidden], 1)], ct);
        await worker.Client.ForwardAsync(new ForwardRequest { HiddenStates = TinyWorker.Float32Tensor(new float[2 * hidden], 2) }, cancellationToken: ct);
        var sink = worker.Host.App.Services.GetRequiredService<MessageSink>();
        long tokens = 0, steps = 0;
        while (tokens < 6)
        {
            var report = await sink.NextAsync<TokensProcessed>(ct);
            Assert.Equal((TinyWorker.ModelName, 0, 2), (report.Model, report.StartBlock, report.EndBlock));
            Assert.True(report.PeriodEnd > report.PeriodStart);
            tokens += report.Tokens;
            steps += report.Steps;
        }

        Assert.Equal(6, tokens);
        Assert.Equal(3, steps);
    }

    /// <summary>A broken model file leaves the worker up, serving nothing, with the reader's reason in Info.</summary>
    [Theory]
    [InlineData("truncated", "lies outside the file")]
    [InlineData("wrong magic", "magic")]
    [InlineData("tensor shape", "blk.0.ffn_gate.weight")]
    public async Task Info_BrokenModelFile_ReportsFailedWithTheReason(string defect, string expected)
    {
        var ct = TestContext.Current.CancellationToken;
        using var home = new TempFolder();
        var path = TinyWorker.ModelPath(home.Path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = TinyLlamaGguf.Build(GgmlType.F32, seed: 3).Writer.ToArray();
        switch (defect)
        {
            case "truncated":
                bytes = bytes[..(bytes.Length / 2)];
                break;
            case "wrong magic":
                bytes[0] ^= 0xFF;
                break;
            default:
                // llama.feed_forward_length says 96; the FFN tensors hold 128.
                var key = System.Text.Encoding.UTF8.GetBytes("llama.feed_forward_length");
                var at = bytes.AsSpan().IndexOf(key) + key.Length + 4;
                Assert.Equal(TinyLlamaGguf.Default.IntermediateSize, BitConverter.ToInt32(bytes, at));
                BitConverter.GetBytes(96).CopyTo(bytes, at);
                break;
        }

        await File.WriteAllBytesAsync(path, bytes, ct);
        await using var worker = await TinyWorker.StartAsync(home.Path, 0, 2, ct, waitUntilReady: false);

        var info = await Poll.UntilAsync(
            async c => await worker.Client.InfoAsync(new InfoRequest(), cancellationToken: c), static i => i.State != ModelState.Loading, TimeSpan.FromSeconds(10), ct);
        var forward = await Assert.ThrowsAsync<RpcException>(async () => await worker.Client.ForwardAsync(new ForwardRequest(), cancellationToken: ct));

        Assert.Equal(ModelState.Failed, info.State);
        Assert.Contains(expected, info.StateDetail, StringComparison.Ordinal);
        Assert.Contains($"from {path} failed", info.StateDetail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.FailedPrecondition, forward.StatusCode);
    }

    [Fact]
    public async Task Info_StartBlockPastTheModel_ReportsFailed()
    {
        var ct = TestContext.Current.CancellationToken;
        using var home = new TempFolder();
        await using var worker = await TinyWorker.StartAsync(home.Path, 5, 1, ct, waitUntilReady: false);

        var info = await Poll.UntilAsync(
            async c => await worker.Client.InfoAsync(new InfoRequest(), cancellationToken: c), static i => i.State != ModelState.Loading, TimeSpan.FromSeconds(10), ct);

        Assert.Equal(ModelState.Failed, info.State);
        Assert.Contains("start_block 5 is past the last block", info.StateDetail, StringComparison.Ordinal);
    }

    private static void AddSink(WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<MessageSink>();
        builder.AddMessageBus(static bus =>
        {
            bus.AddConsumer<ThroughputMeasuredSink>();
            bus.AddConsumer<TokensProcessedSink>();
        });
    }

    /// <summary>A worker whose model resolves nowhere: no models folder, and an Ollama store that does not exist (unless a test sets one).</summary>
    private static Task<ModuleHost> StartAsync(IReadOnlyDictionary<string, string?>? settings, CancellationToken cancellationToken)
    {
        var all = new Dictionary<string, string?> { ["KwaaiNet:Inference:OllamaModels"] = Path.Combine(Path.GetTempPath(), "kwaainet-no-ollama-store") };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        return ModuleHost.StartAsync(static b => b.AddInferenceWorker(), static a => a.MapInferenceWorker(), all, cancellationToken);
    }

    /// <summary>The bus messages a test host received, in order.</summary>
    private sealed class MessageSink
    {
        private readonly Channel<object> _messages = Channel.CreateUnbounded<object>();

        public void Add(object message) => _messages.Writer.TryWrite(message);

        /// <summary>Skips messages until one of type <typeparamref name="T"/> arrives (30 s at most).</summary>
        public async Task<T> NextAsync<T>(CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            while (true)
            {
                if (await _messages.Reader.ReadAsync(timeout.Token) is T message)
                {
                    return message;
                }
            }
        }
    }

    private sealed class ThroughputMeasuredSink(MessageSink sink) : IConsumer<ThroughputMeasured>
    {
        public Task Consume(ConsumeContext<ThroughputMeasured> context)
        {
            sink.Add(context.Message);
            return Task.CompletedTask;
        }
    }

    private sealed class TokensProcessedSink(MessageSink sink) : IConsumer<TokensProcessed>
    {
        public Task Consume(ConsumeContext<TokensProcessed> context)
        {
            sink.Add(context.Message);
            return Task.CompletedTask;
        }
    }
}
