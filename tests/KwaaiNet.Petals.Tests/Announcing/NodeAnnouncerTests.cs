// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Map.V1;
using KwaaiNet.Contracts.Messages;
using KwaaiNet.Petals.Announcing;
using KwaaiNet.Petals.Records;
using KwaaiNet.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Tests.Announcing;

/// <summary>The announcer against a real DHT node in the same process (and a second node for what outlives it).</summary>
public sealed class NodeAnnouncerTests
{
    private const string Model = "tiny";
    private const string PetalsPrefix = "tiny-hf";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static readonly Dictionary<string, string?> Fast = new()
    {
        ["KwaaiNet:Node:public_name"] = "alice",
        ["KwaaiNet:Announcer:RenewalPeriod"] = "00:00:30",
        ["KwaaiNet:Announcer:RenewalJitter"] = "00:00:01",
        ["KwaaiNet:Announcer:RecordTtl"] = "00:01:00",
        ["KwaaiNet:Announcer:RetryDelay"] = "00:00:00.200",
    };

    private static WorkerSpanStatus Status(WorkerSpanState state, int start, int end, double? tps = null, string worker = "w1", int totalBlocks = 4) =>
        new(worker, Model, start, end, totalBlocks, state, tps, 64, "float32", 1000, null, null, null, DateTimeOffset.UtcNow);

    [Fact]
    public async Task LoadingWorker_IsAnnouncedJoiningUnderBothPrefixesWithRegistries()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var node = await AnnouncerNode.StartAsync(Fast, ct);

        await node.PublishAsync(Status(WorkerSpanState.Loading, 1, 3), ct);

        var info = await Poll.UntilAsync(t => node.ServerInfoAsync($"{Model}.1", node.PeerId, t), static i => i is not null, Timeout, ct);
        Assert.Equal(ServerState.Joining, info!.State);
        Assert.Equal(ServedSpan.UnmeasuredThroughput, info.Throughput);
        Assert.Equal((1, 3), (info.StartBlock, info.EndBlock));
        Assert.Equal($"alice/v{NodeAnnouncer.ProductVersion}", info.PublicName);
        Assert.Equal(node.PeerId, info.PeerId);
        foreach (var key in new[] { $"{Model}.2", $"{PetalsPrefix}.1", $"{PetalsPrefix}.2" })
        {
            Assert.NotNull(await node.ServerInfoAsync(key, node.PeerId, ct));
        }

        Assert.Null(await node.ServerInfoAsync($"{Model}.0", node.PeerId, ct));
        Assert.Null(await node.ServerInfoAsync($"{Model}.3", node.PeerId, ct));
        Assert.Equal([Model, PetalsPrefix], (await node.SubkeysAsync(DhtRecordKeys.PetalsModels, ct)).Order(StringComparer.Ordinal));
        Assert.Equal([node.PeerId], await node.SubkeysAsync(DhtRecordKeys.KwaaiInferenceNodes, ct));
    }

    [Fact]
    public async Task ServingWorker_IsAnnouncedOnlineAtOnceWithItsThroughput()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var node = await AnnouncerNode.StartAsync(Fast, ct);
        await node.PublishAsync(Status(WorkerSpanState.Loading, 0, 2), ct);
        await Poll.UntilAsync(t => node.ServerInfoAsync($"{Model}.0", node.PeerId, t), static i => i is not null, Timeout, ct);

        await node.PublishAsync(Status(WorkerSpanState.Serving, 0, 2, tps: 42.5), ct);

        // The renewal period is 30 s: an online record before then is the state change announced at once.
        var info = await Poll.UntilAsync(t => node.ServerInfoAsync($"{Model}.0", node.PeerId, t), static i => i?.State == ServerState.Online, Timeout / 2, ct);
        Assert.Equal(42.5, info!.Throughput);
        Assert.Equal(1000, info.CacheTokensLeft);
    }

    [Fact]
    public async Task WorkerMovesSpan_OldBlocksOfflineNewOnline()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var node = await AnnouncerNode.StartAsync(Fast, ct);
        await node.PublishAsync(Status(WorkerSpanState.Serving, 0, 2, tps: 5), ct);
        await Poll.UntilAsync(t => node.ServerInfoAsync($"{Model}.1", node.PeerId, t), static i => i?.State == ServerState.Online, Timeout, ct);

        await node.PublishAsync(Status(WorkerSpanState.Serving, 1, 4, tps: 5), ct);

        await Poll.UntilAsync(t => node.ServerInfoAsync($"{Model}.0", node.PeerId, t), static i => i?.State == ServerState.Offline, Timeout, ct);
        foreach (var block in new[] { 1, 2, 3 })
        {
            var info = await node.ServerInfoAsync($"{Model}.{block}", node.PeerId, ct);
            Assert.Equal((ServerState.Online, 1, 4), (info!.State, info.StartBlock, info.EndBlock));
        }
    }

    [Fact]
    public async Task StoppedWorker_IsAnnouncedOfflineAtOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var node = await AnnouncerNode.StartAsync(Fast, ct);
        await node.PublishAsync(Status(WorkerSpanState.Serving, 2, 4, tps: 5), ct);
        await Poll.UntilAsync(t => node.ServerInfoAsync($"{Model}.2", node.PeerId, t), static i => i?.State == ServerState.Online, Timeout, ct);

        await node.PublishAsync(Status(WorkerSpanState.Stopped, 2, 4), ct);

        var info = await Poll.UntilAsync(t => node.ServerInfoAsync($"{PetalsPrefix}.3", node.PeerId, t), static i => i?.State == ServerState.Offline, Timeout / 2, ct);
        Assert.Equal((0.0, 0L), (info!.Throughput, info.CacheTokensLeft));
    }

    [Fact]
    public async Task SilentWorker_IsTakenAsStoppedAfterTheWorkerTimeout()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var node = await AnnouncerNode.StartAsync(new Dictionary<string, string?>(Fast) { ["KwaaiNet:Announcer:WorkerTimeout"] = "00:00:02" }, ct);

        await node.PublishAsync(Status(WorkerSpanState.Serving, 0, 1, tps: 5), ct);

        await Poll.UntilAsync(t => node.ServerInfoAsync($"{Model}.0", node.PeerId, t), static i => i?.State == ServerState.Online, Timeout, ct);
        await Poll.UntilAsync(t => node.ServerInfoAsync($"{Model}.0", node.PeerId, t), static i => i?.State == ServerState.Offline, Timeout, ct);
    }

    [Fact]
    public async Task PetalsServingOff_AnnouncesOnlyTheKwaaiNetPrefix()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var node = await AnnouncerNode.StartAsync(new Dictionary<string, string?>(Fast) { ["KwaaiNet:Announcer:PetalsServing"] = "false" }, ct);

        await node.PublishAsync(Status(WorkerSpanState.Serving, 0, 1, tps: 5), ct);

        await Poll.UntilAsync(t => node.ServerInfoAsync($"{Model}.0", node.PeerId, t), static i => i is not null, Timeout, ct);
        Assert.Null(await node.ServerInfoAsync($"{PetalsPrefix}.0", node.PeerId, ct));
        Assert.Equal([Model], await node.SubkeysAsync(DhtRecordKeys.PetalsModels, ct));
    }

    [Fact]
    public async Task Shutdown_LeavesOfflineRecordsOnTheOtherNode()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var bootstrap = await AnnouncerNode.StartAsync(Fast, ct);
        var node = await AnnouncerNode.StartAsync(new Dictionary<string, string?>(Fast) { ["KwaaiNet:Node:initial_peers:0"] = bootstrap.Address }, ct);
        string peerId;
        try
        {
            peerId = node.PeerId;
            await node.PublishAsync(Status(WorkerSpanState.Serving, 0, 2, tps: 5), ct);
            await Poll.UntilAsync(t => bootstrap.ServerInfoAsync($"{Model}.1", peerId, t), static i => i?.State == ServerState.Online, Timeout, ct);
        }
        finally
        {
            await node.DisposeAsync();
        }

        foreach (var key in new[] { $"{Model}.0", $"{Model}.1", $"{PetalsPrefix}.0", $"{PetalsPrefix}.1" })
        {
            var info = await bootstrap.ServerInfoAsync(key, peerId, ct);
            Assert.Equal(ServerState.Offline, info!.State);
        }
    }

    [Fact]
    public async Task AnnounceCall_IsAccepted()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var node = await AnnouncerNode.StartAsync(Fast, ct);
        var client = new MapAnnouncer.MapAnnouncerClient(node.Host.Channel);

        var reply = await client.AnnounceAsync(new AnnounceRequest(), cancellationToken: ct);

        Assert.True(reply.Accepted);
        Assert.Contains("no span announced yet", reply.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnnounceCall_Disabled_IsRefusedWithTheSetting()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var node = await AnnouncerNode.StartAsync(new Dictionary<string, string?>(Fast) { ["KwaaiNet:Announcer:Enabled"] = "false" }, ct);
        var client = new MapAnnouncer.MapAnnouncerClient(node.Host.Channel);

        var reply = await client.AnnounceAsync(new AnnounceRequest(), cancellationToken: ct);

        Assert.False(reply.Accepted);
        Assert.Contains("KwaaiNet:Announcer:Enabled", reply.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("RecordTtl", "00:00:10", "must be less than RecordTtl")]
    [InlineData("RenewalJitter", "00:01:00", "RenewalJitter must be at least 0 and less than RenewalPeriod")]
    [InlineData("WorkerTimeout", "00:00:00", "WorkerTimeout must be positive")]
    public async Task BadSetting_StopsStartWithTheKeyNamed(string key, string value, string message)
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = new Dictionary<string, string?>(Fast) { [$"KwaaiNet:Announcer:{key}"] = value };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => AnnouncerNode.StartAsync(settings, ct));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingPledgeFile_StopsStartNamingThePath()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(Path.GetTempPath(), "missing-" + Guid.NewGuid().ToString("N") + ".json");
        var settings = new Dictionary<string, string?>(Fast) { ["KwaaiNet:Node:fiduciary_pledge"] = path };

        var error = await Assert.ThrowsAnyAsync<Exception>(() => AnnouncerNode.StartAsync(settings, ct));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WorkerSpans_OlderStatusOfAWorker_IsIgnored()
    {
        var spans = new WorkerSpans();
        var newer = Status(WorkerSpanState.Serving, 0, 2);
        spans.Record(newer);

        spans.Record(newer with { State = WorkerSpanState.Loading, At = newer.At.AddSeconds(-1) });

        Assert.Equal(WorkerSpanState.Serving, Assert.Single(spans.Current(DateTimeOffset.MinValue)).State);
    }

    [Fact]
    public void WorkerSpans_HeartbeatThatChangesNothing_DoesNotWakeTheAnnouncer()
    {
        var spans = new WorkerSpans();
        var status = Status(WorkerSpanState.Serving, 0, 2);
        spans.Record(status);
        Assert.True(spans.Changes.TryRead(out _));

        spans.Record(status with { At = status.At.AddSeconds(30) });

        Assert.False(spans.Changes.TryRead(out _));
    }
}
