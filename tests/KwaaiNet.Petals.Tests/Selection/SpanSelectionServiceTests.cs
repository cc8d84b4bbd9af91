// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Threading.Channels;
using KwaaiNet.Contracts.Hosting;
using KwaaiNet.Contracts.Messages;
using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Petals.Hosting;
using KwaaiNet.Petals.Map;
using KwaaiNet.Petals.Selection;
using KwaaiNet.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static KwaaiNet.Petals.Tests.Selection.MapReports;

namespace KwaaiNet.Petals.Tests.Selection;

/// <summary>The map-announcer's span selection in its module host, with a real models folder and the in-memory bus.</summary>
public sealed class SpanSelectionServiceTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 5, 6, 7, 8, 9, TimeSpan.Zero);

    private static readonly MapModelReport Llama8B = Report(
        "unsloth/Llama-3.1-8B-Instruct", "Llama-3-1-8B-Instruct", 32, ("A", 0, 8, 10.0, "online"), ("B", 8, 16, 10.0, "online"));

    private readonly string _models = Path.Combine(Path.GetTempPath(), "kwaainet-models-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(Start);

    public SpanSelectionServiceTests()
    {
        Directory.CreateDirectory(_models);
        File.WriteAllBytes(Path.Combine(_models, "Llama-3.1-8B-Instruct-Q4_K_M.gguf"), []);
        File.WriteAllBytes(Path.Combine(_models, "mistral-7b.gguf"), []);
    }

    public void Dispose() => Directory.Delete(_models, recursive: true);

    [Fact]
    public async Task SelectAsync_OllamaStyleModel_SendsTheBestLocalModelAndItsLeastServedSpan_Once()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync("llama3.1:8b", null, ct);
        var selection = host.App.Services.GetRequiredService<SpanSelectionService>();

        var sent = await selection.SelectAsync(Document(Llama8B), ct);
        var received = await host.App.Services.GetRequiredService<CommandSink>().NextAsync(ct);
        var again = await selection.SelectAsync(Document(Llama8B), ct);

        Assert.NotNull(sent);
        Assert.Equal(sent, received);
        Assert.Equal(("Llama-3.1-8B-Instruct-Q4_K_M", 16, 24), (sent.Model, sent.StartBlock, sent.EndBlock));
        Assert.Equal(("Llama-3-1-8B-Instruct", "https://huggingface.co/unsloth/Llama-3.1-8B-Instruct"), (sent.DhtPrefix, sent.Repository));
        Assert.Equal(Start, sent.IssuedAt);
        Assert.Contains("best matches the map", sent.Reason, StringComparison.Ordinal);
        Assert.Contains("8 of them served by no other server", sent.Reason, StringComparison.Ordinal);
        Assert.Null(again);
    }

    [Fact]
    public async Task SelectAsync_StartBlockConfigured_SendsNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync("llama3.1:8b", "0", ct);

        var sent = await host.App.Services.GetRequiredService<SpanSelectionService>().SelectAsync(Document(Llama8B), ct);

        Assert.Null(sent);
    }

    [Fact]
    public async Task SelectAsync_HuggingFaceModel_KeepsItAndLeavesThePrefixToTheAnnouncer()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync("unsloth/Llama-3.1-8B-Instruct", null, ct);

        var sent = await host.App.Services.GetRequiredService<SpanSelectionService>().SelectAsync(Document(Llama8B), ct);

        Assert.NotNull(sent);
        Assert.Equal(("unsloth/Llama-3.1-8B-Instruct", 16, 24, null, null), (sent.Model, sent.StartBlock, sent.EndBlock, sent.DhtPrefix, sent.Repository));
    }

    [Fact]
    public async Task SelectAsync_ModelNotOnTheMap_ServesFromBlockZero()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync("qwen2.5:7b", null, ct);

        var sent = await host.App.Services.GetRequiredService<SpanSelectionService>().SelectAsync(Document(), ct);

        Assert.NotNull(sent);
        Assert.Equal(("qwen2.5:7b", 0, 8, null), (sent.Model, sent.StartBlock, sent.EndBlock, sent.DhtPrefix));
        Assert.Contains("does not know it", sent.Reason, StringComparison.Ordinal);
    }

    /// <summary>A worker that holds a span stops selection; once it stopped and the last command has aged, a new one goes out.</summary>
    [Fact]
    public async Task SelectAsync_AgainOnlyWhenNoWorkerServes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync("llama3.1:8b", null, ct);
        var selection = host.App.Services.GetRequiredService<SpanSelectionService>();
        var serving = new WorkerSpanStatus("w1", "tiny", 16, 24, 32, WorkerSpanState.Serving, 5, 64, "float32", 100, null, null, null, Start);

        selection.Observe(serving);
        var whileServing = await selection.SelectAsync(Document(Llama8B), ct);
        selection.Observe(serving with { State = WorkerSpanState.Stopped, At = Start.AddSeconds(1) });
        var afterStop = await selection.SelectAsync(Document(Llama8B), ct);
        var tooSoon = await selection.SelectAsync(Document(Llama8B), ct);
        _time.Advance(SpanSelectionService.WorkerSilence);
        var afterSilence = await selection.SelectAsync(Document(Llama8B), ct);

        Assert.Null(whileServing);
        Assert.NotNull(afterStop);
        Assert.Null(tooSoon);
        Assert.NotNull(afterSilence);
        Assert.Equal(Start + SpanSelectionService.WorkerSilence, afterSilence.IssuedAt);
    }

    /// <summary>
    /// A serving node whose move would lift the swarm's weakest blocks (Petals' rebalancing) is sent the better span;
    /// the check runs again only after the balance period.
    /// </summary>
    [Fact]
    public async Task SelectAsync_ServingWhereMovingHelpsTheSwarm_MovesTheSpanOncePerBalancePeriod()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync("unsloth/Llama-3.1-8B-Instruct", null, ct);
        var selection = host.App.Services.GetRequiredService<SpanSelectionService>();
        var self = host.App.Services.GetRequiredService<ILocalLibp2pNode>().Host.PeerId.ToBase58();

        // This node and B both serve [0, 8); C alone serves [8, 16), slowly: the weakest blocks are 8..15.
        var report = Report("unsloth/Llama-3.1-8B-Instruct", "Llama-3-1-8B-Instruct", 16, (self, 0, 8, 10.0, "online"), ("B", 0, 8, 10.0, "online"), ("C", 8, 16, 1.0, "online"));
        var serving = new WorkerSpanStatus("w1", "unsloth/Llama-3.1-8B-Instruct", 0, 8, 16, WorkerSpanState.Serving, 10, 64, "float32", 100, null, null, null, Start);
        selection.Observe(serving);

        var moved = await selection.SelectAsync(Document(report), ct);
        _time.Advance(SpanSelectionService.WorkerSilence);
        selection.Observe(serving with { At = Start + SpanSelectionService.WorkerSilence });
        var withinPeriod = await selection.SelectAsync(Document(report), ct);

        Assert.NotNull(moved);
        Assert.Equal(("unsloth/Llama-3.1-8B-Instruct", 8, 16), (moved.Model, moved.StartBlock, moved.EndBlock));
        Assert.StartsWith("rebalancing: moving from [0, 8)", moved.Reason, StringComparison.Ordinal);
        Assert.Null(withinPeriod);
    }

    /// <summary>A serving node already where the swarm needs it stays.</summary>
    [Fact]
    public async Task SelectAsync_ServingWhereMovingDoesNotHelp_SendsNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync("unsloth/Llama-3.1-8B-Instruct", null, ct);
        var selection = host.App.Services.GetRequiredService<SpanSelectionService>();
        var self = host.App.Services.GetRequiredService<ILocalLibp2pNode>().Host.PeerId.ToBase58();

        var report = Report("unsloth/Llama-3.1-8B-Instruct", "Llama-3-1-8B-Instruct", 16, (self, 0, 8, 10.0, "online"), ("C", 8, 16, 10.0, "online"));
        selection.Observe(new WorkerSpanStatus("w1", "unsloth/Llama-3.1-8B-Instruct", 0, 8, 16, WorkerSpanState.Serving, 10, 64, "float32", 100, null, null, null, Start));

        Assert.Null(await selection.SelectAsync(Document(report), ct));
    }

    /// <summary>The hosted service selects on a crawl's update once the workers' grace period (one heartbeat period) has passed.</summary>
    [Fact]
    public async Task NetworkMapUpdate_AfterTheGracePeriod_SendsServeSpan()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync("llama3.1:8b", null, ct);
        var selection = host.App.Services.GetRequiredService<SpanSelectionService>();

        host.App.Services.GetRequiredService<NetworkMap>().Update(Document(Llama8B));
        await Poll.UntilAsync(
            () =>
            {
                _time.Advance(TimeSpan.FromSeconds(5));
                return selection.LastSent is not null;
            },
            ct,
            TimeSpan.FromSeconds(20));
        var received = await host.App.Services.GetRequiredService<CommandSink>().NextAsync(ct);

        Assert.Equal((16, 24), (received.StartBlock, received.EndBlock));
        Assert.True(received.IssuedAt >= Start + WorkerSpanStatus.HeartbeatPeriod);
    }

    private static MapStateDocument Document(params MapModelReport[] reports) =>
        new([], reports, reports.Sum(static r => r.ServerRows.Count), 0, [], [], Start, 60, 0, null);

    private Task<ModuleHost> StartAsync(string model, string? startBlock, CancellationToken cancellationToken) =>
        ModuleHost.StartAsync(
            b =>
            {
                b.Services.AddSingleton<TimeProvider>(_time);
                b.AddP2PGateway();
                b.AddMapAnnouncer();
                b.Services.AddSingleton<CommandSink>();
                b.AddMessageBus(static bus => bus.AddConsumer<ServeSpanSink>());
            },
            static a =>
            {
                a.MapP2PGateway();
                a.MapMapAnnouncer();
            },
            new Dictionary<string, string?>
            {
                ["KwaaiNet:Node:model"] = model,
                ["KwaaiNet:Node:blocks"] = "8",
                ["KwaaiNet:Node:start_block"] = startBlock,
                ["KwaaiNet:Inference:ModelsFolder"] = _models,
                ["KwaaiNet:Inference:OllamaModels"] = Path.Combine(_models, "no-ollama-store"),
            },
            cancellationToken);

    /// <summary>The ServeSpan commands the host's bus delivered, in order.</summary>
    private sealed class CommandSink
    {
        private readonly Channel<ServeSpan> _messages = Channel.CreateUnbounded<ServeSpan>();

        public void Add(ServeSpan message) => _messages.Writer.TryWrite(message);

        public async Task<ServeSpan> NextAsync(CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            return await _messages.Reader.ReadAsync(timeout.Token);
        }
    }

    private sealed class ServeSpanSink(CommandSink sink) : IConsumer<ServeSpan>
    {
        public Task Consume(ConsumeContext<ServeSpan> context)
        {
            sink.Add(context.Message);
            return Task.CompletedTask;
        }
    }
}
