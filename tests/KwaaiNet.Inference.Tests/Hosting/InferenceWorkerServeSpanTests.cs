// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text.Json;
using System.Threading.Channels;
using KwaaiNet.Contracts.Hosting;
using KwaaiNet.Contracts.Inference.V1;
using KwaaiNet.Contracts.Messages;
using KwaaiNet.Inference.Hosting;
using KwaaiNet.Inference.Tests.Gguf;
using KwaaiNet.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Inference.Tests.Hosting;

/// <summary>The worker's side of span selection: ServeSpan commands, serving.json, and WorkerSpanStatus reports.</summary>
public sealed class InferenceWorkerServeSpanTests
{
    private const int WaitingForSpan = 2013;
    private const int ServingFileIgnored = 2015;
    private const int IgnoredForConfiguration = 2017;
    private const int IgnoredAsOlder = 2018;
    private const int ServeSpanInvalid = 2019;

    private static readonly DateTimeOffset IssuedAt = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

    /// <summary>No start_block: the worker waits, loads what ServeSpan says, persists it, and resumes it after a restart.</summary>
    [Fact]
    public async Task ServeSpan_NoStartBlock_LoadsTheSpanPersistsIt_AndARestartResumesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        using var home = new TempFolder();
        var logs = new LogCapture();
        await using (var worker = await StartAsync(home.Path, null, logs, ct))
        {
            var waiting = await worker.WaitForAsync(static i => i.StateDetail.Contains("waiting for a span", StringComparison.Ordinal), ct);
            Assert.Equal(ModelState.Loading, waiting.State);
            Assert.Equal((0, 0), (waiting.StartBlock, waiting.EndBlock));
            Assert.Equal(1, logs.Count(WaitingForSpan));

            await PublishAsync(worker, new ServeSpan(TinyWorker.ModelName, 1, 5, "tiny-prefix", "https://huggingface.co/org/tiny", "the least-served blocks", IssuedAt), ct);
            var ready = await worker.WaitForAsync(static i => i.State == ModelState.Ready, ct);

            // The tiny model has 2 blocks: [1, 5) is cut to [1, 2).
            Assert.Equal((1, 2, TinyWorker.ModelName), (ready.StartBlock, ready.EndBlock, ready.Model));
            var sink = Sink(worker);
            var loading = await sink.NextAsync(ct);
            var serving = await sink.NextAsync(ct);
            Assert.Equal(WorkerSpanState.Loading, loading.State);
            Assert.Equal(WorkerSpanState.Serving, serving.State);
            foreach (var status in new[] { loading, serving })
            {
                Assert.Equal((TinyWorker.ModelName, 1, 2, 2), (status.Model, status.StartBlock, status.EndBlock, status.TotalBlocks));
                Assert.Equal(("tiny-prefix", "https://huggingface.co/org/tiny"), (status.DhtPrefix, status.Repository));
                Assert.Equal((TinyWorker.Config.HiddenSize, "float32"), (status.HiddenSize, status.DataType));
            }

            Assert.Equal(loading.WorkerId, serving.WorkerId);
            Assert.Equal(ready.CacheTokensLeft, serving.CacheTokensLeft);
        }

        using (var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(home.Path, "serving.json"), ct)))
        {
            var root = json.RootElement;
            Assert.Equal(TinyWorker.ModelName, root.GetProperty("model").GetString());
            Assert.Equal((1, 5), (root.GetProperty("start").GetInt32(), root.GetProperty("end").GetInt32()));
            Assert.Equal("tiny-prefix", root.GetProperty("dht_prefix").GetString());
            Assert.Equal("https://huggingface.co/org/tiny", root.GetProperty("repository").GetString());
            Assert.Equal(IssuedAt, root.GetProperty("issued_at").GetDateTimeOffset());
        }

        await using var again = await StartAsync(home.Path, null, new LogCapture(), ct);
        var resumed = await again.WaitForAsync(static i => i.State == ModelState.Ready, ct);
        var resumedStatus = await Sink(again).NextAsync(ct);

        Assert.Equal((1, 2), (resumed.StartBlock, resumed.EndBlock));
        Assert.Equal(("tiny-prefix", WorkerSpanState.Loading), (resumedStatus.DhtPrefix, resumedStatus.State));
    }

    [Fact]
    public async Task ServeSpan_NewerCommand_StopsTheOldSpanThenLoadsAndServesTheNew_AndStopsAtShutdown()
    {
        var ct = TestContext.Current.CancellationToken;
        using var home = new TempFolder();
        var worker = await StartAsync(home.Path, null, new LogCapture(), ct);
        var sink = Sink(worker);
        List<(WorkerSpanState, int, int)> seen = [];
        WorkerSpanStatus? last = null;
        try
        {
            await PublishAsync(worker, new ServeSpan(TinyWorker.ModelName, 0, 1, null, null, "first", IssuedAt), ct);
            await worker.WaitForAsync(static i => i.State == ModelState.Ready && i.StartBlock == 0, ct);
            await PublishAsync(worker, new ServeSpan(TinyWorker.ModelName, 1, 2, null, null, "second", IssuedAt.AddMinutes(1)), ct);
            await worker.WaitForAsync(static i => i.State == ModelState.Ready && i.StartBlock == 1, ct);

            // The worker's part of a shutdown, while the bus still runs to deliver its last report.
            await worker.Host.App.Services.GetRequiredService<InferenceModelHost>().StopAsync(ct);

            // Read the reports before the host (and its bus) stops, up to the last one. The bus may deliver reports
            // published close together out of order, so they are put in the order the worker published them; a
            // heartbeat repeats the last report, so only changes count.
            List<WorkerSpanStatus> received = [];
            while (!received.Any(static r => (r.State, r.StartBlock) == (WorkerSpanState.Stopped, 1)))
            {
                received.Add(await sink.NextAsync(ct));
            }

            foreach (var status in received.OrderBy(static r => r.At))
            {
                if (seen.Count == 0 || seen[^1] != (status.State, status.StartBlock, status.EndBlock))
                {
                    seen.Add((status.State, status.StartBlock, status.EndBlock));
                    last = status;
                }
            }
        }
        finally
        {
            await worker.DisposeAsync();
        }

        Assert.Equal(
            [
                (WorkerSpanState.Loading, 0, 1), (WorkerSpanState.Serving, 0, 1),
                (WorkerSpanState.Stopped, 0, 1), (WorkerSpanState.Loading, 1, 2), (WorkerSpanState.Serving, 1, 2),
                (WorkerSpanState.Stopped, 1, 2),
            ],
            seen);
        Assert.Equal("the worker is stopping", last?.Reason);
    }

    [Fact]
    public async Task ServeSpan_StartBlockConfigured_IsIgnoredAndLogged()
    {
        var ct = TestContext.Current.CancellationToken;
        using var home = new TempFolder();
        var logs = new LogCapture();
        await using var worker = await StartAsync(home.Path, "0", logs, ct);
        await worker.WaitForAsync(static i => i.State == ModelState.Ready, ct);

        await PublishAsync(worker, new ServeSpan(TinyWorker.ModelName, 1, 2, null, null, "ignored", IssuedAt), ct);
        await Poll.UntilAsync(_ => Task.FromResult(logs.Count(IgnoredForConfiguration)), static n => n > 0, TimeSpan.FromSeconds(10), ct);
        var info = await worker.Client.InfoAsync(new InfoRequest(), cancellationToken: ct);

        Assert.Equal((ModelState.Ready, 0, 2), (info.State, info.StartBlock, info.EndBlock));
        Assert.False(File.Exists(Path.Combine(home.Path, "serving.json")));
        Assert.Contains(logs.Entries, static e => e.EventId == IgnoredForConfiguration && e.Message.Contains("start_block is configured (0)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ServeSpan_OlderOrMalformedCommand_IsIgnoredAndLogged()
    {
        var ct = TestContext.Current.CancellationToken;
        using var home = new TempFolder();
        var logs = new LogCapture();
        await using var worker = await StartAsync(home.Path, null, logs, ct);
        await PublishAsync(worker, new ServeSpan(TinyWorker.ModelName, 1, 2, null, null, "current", IssuedAt), ct);
        await worker.WaitForAsync(static i => i.State == ModelState.Ready, ct);

        await PublishAsync(worker, new ServeSpan(TinyWorker.ModelName, 0, 1, null, null, "stale", IssuedAt.AddMinutes(-1)), ct);
        await PublishAsync(worker, new ServeSpan(TinyWorker.ModelName, 3, 1, null, null, "inverted", IssuedAt.AddMinutes(1)), ct);
        await PublishAsync(worker, new ServeSpan(string.Empty, 0, 1, null, null, "no model", IssuedAt.AddMinutes(2)), ct);
        await Poll.UntilAsync(_ => Task.FromResult(logs.Count(IgnoredAsOlder) + logs.Count(ServeSpanInvalid)), static n => n >= 3, TimeSpan.FromSeconds(10), ct);
        var info = await worker.Client.InfoAsync(new InfoRequest(), cancellationToken: ct);

        Assert.Equal((ModelState.Ready, 1, 2), (info.State, info.StartBlock, info.EndBlock));
        Assert.Equal(1, logs.Count(IgnoredAsOlder));
        Assert.Equal(2, logs.Count(ServeSpanInvalid));
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(home.Path, "serving.json"), ct));
        Assert.Equal(1, json.RootElement.GetProperty("start").GetInt32());
    }

    /// <summary>A serving.json that is not a valid span is logged and ignored: the worker waits for a span.</summary>
    [Theory]
    [InlineData("not json")]
    [InlineData("[1, 2]")]
    [InlineData("""{"model": "tiny", "start": "0", "end": 1, "issued_at": "2026-01-01T00:00:00Z"}""")]
    [InlineData("""{"model": "tiny", "start": 1, "end": 1, "issued_at": "2026-01-01T00:00:00Z"}""")]
    [InlineData("""{"model": "tiny", "start": 0, "end": 1.5, "issued_at": "2026-01-01T00:00:00Z"}""")]
    [InlineData("""{"model": "tiny", "start": 0, "end": 1, "issued_at": "yesterday"}""")]
    [InlineData("""{"start": 0, "end": 1, "issued_at": "2026-01-01T00:00:00Z"}""")]
    [InlineData("""{"model": "tiny", "start": 0, "end": 5000, "issued_at": "2026-01-01T00:00:00Z"}""")]
    [InlineData("oversized")]
    public async Task ServingFile_Bad_IsLoggedAndIgnored(string content)
    {
        var ct = TestContext.Current.CancellationToken;
        using var home = new TempFolder();
        var path = Path.Combine(home.Path, "serving.json");
        await File.WriteAllTextAsync(path, content == "oversized" ? new string(' ', 70_000) + "{}" : content, ct);
        var logs = new LogCapture();

        await using var worker = await StartAsync(home.Path, null, logs, ct);
        var info = await worker.WaitForAsync(static i => i.StateDetail.Contains("waiting for a span", StringComparison.Ordinal), ct);

        Assert.Equal((0, 0), (info.StartBlock, info.EndBlock));
        var warning = Assert.Single(logs.Entries, static e => e.EventId == ServingFileIgnored);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains(path, warning.Message, StringComparison.Ordinal);
    }

    private static Task<TinyWorker> StartAsync(string home, string? startBlock, LogCapture logs, CancellationToken cancellationToken) =>
        TinyWorker.StartAsync(
            home,
            0,
            2,
            cancellationToken,
            new Dictionary<string, string?> { ["KwaaiNet:Node:start_block"] = startBlock, ["KwaaiNet:Inference:MeasureThroughput"] = "false" },
            b =>
            {
                b.Logging.AddProvider(logs);
                b.Services.AddSingleton<StatusSink>();
                b.AddMessageBus(static bus => bus.AddConsumer<WorkerSpanStatusSink>());
            },
            waitUntilReady: false);

    private static StatusSink Sink(TinyWorker worker) => worker.Host.App.Services.GetRequiredService<StatusSink>();

    /// <summary>
    /// Publishes on the worker's bus from a flow of its own: MassTransit keeps its log context in an async-local, which
    /// would otherwise hold the disposed host's logger factory when a test starts a second host.
    /// </summary>
    private static Task PublishAsync(TinyWorker worker, ServeSpan command, CancellationToken cancellationToken) =>
        Task.Run(() => worker.Host.App.Services.GetRequiredService<IBus>().Publish(command, cancellationToken), cancellationToken);

    /// <summary>The worker's status reports, in order.</summary>
    private sealed class StatusSink
    {
        private readonly Channel<WorkerSpanStatus> _messages = Channel.CreateUnbounded<WorkerSpanStatus>();

        public void Add(WorkerSpanStatus message) => _messages.Writer.TryWrite(message);

        /// <summary>The next report (30 s at most).</summary>
        public async Task<WorkerSpanStatus> NextAsync(CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            return await _messages.Reader.ReadAsync(timeout.Token);
        }
    }

    private sealed class WorkerSpanStatusSink(StatusSink sink) : IConsumer<WorkerSpanStatus>
    {
        public Task Consume(ConsumeContext<WorkerSpanStatus> context)
        {
            sink.Add(context.Message);
            return Task.CompletedTask;
        }
    }
}
