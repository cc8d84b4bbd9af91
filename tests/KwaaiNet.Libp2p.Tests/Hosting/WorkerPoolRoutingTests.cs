// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text;
using KwaaiNet.Contracts.Gateway.V1;
using KwaaiNet.Contracts.Scaling;
using KwaaiNet.Inference.Scaling;
using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Network;
using KwaaiNet.Libp2p.Protocols;
using KwaaiNet.Libp2p.Tests.Network;
using KwaaiNet.Testing;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Libp2p.Tests.Hosting;

/// <summary>
/// Several worker replicas behind one gateway (<c>pool://</c> inbound routes): real redis-server, real worker-like
/// services that register in it, a real remote libp2p peer. Sessions stay on the worker that holds them, and move
/// when it is gone.
/// </summary>
public sealed class WorkerPoolRoutingTests
{
    private const string Pool = "test-pool";
    private const string SessionStream = "/kwaainet/test-session/1.0.0";
    private const string SessionUnary = "/kwaainet/test-inference/1.0.0";

    /// <summary>The gateway's "worker is gone" event id (src/KwaaiNet.Libp2p/GatewayLog.cs).</summary>
    private const int PoolWorkerGone = 3520;

    [Fact]
    public async Task PoolStreams_InterleavedSessions_EachStayOnOneWorker_AndTheTwoSpreadOverBoth()
    {
        var ct = Token();
        await using var redis = await RedisServer.StartAsync(ct);
        await using var a = await PoolWorkerHost.StartAsync("worker-a", Pool, redis.ConnectionString, ct);
        await using var b = await PoolWorkerHost.StartAsync("worker-b", Pool, redis.ConnectionString, ct);
        await WaitForMembersAsync(redis, ["worker-a", "worker-b"], ct);
        await using var gateway = await StartGatewayAsync(redis, null, ct);
        var (peer, gatewayPeer) = await ConnectPeerAsync(gateway, ct);
        await using var _ = peer;

        await using var first = await peer.Host.OpenStreamAsync(gatewayPeer, [SessionStream], ct);
        using var firstReader = new StreamReader(first.Stream, Encoding.UTF8);
        var firstWorker = await StepAsync(first, firstReader, "s1-step-0", ct);
        await using var second = await peer.Host.OpenStreamAsync(gatewayPeer, [SessionStream], ct);
        using var secondReader = new StreamReader(second.Stream, Encoding.UTF8);
        var secondWorker = await StepAsync(second, secondReader, "s2-step-0", ct);
        for (var i = 1; i < 6; i++)
        {
            Assert.Equal(firstWorker, await StepAsync(first, firstReader, $"s1-step-{i}", ct));
            Assert.Equal(secondWorker, await StepAsync(second, secondReader, $"s2-step-{i}", ct));
        }

        Assert.NotEqual(firstWorker, secondWorker);
        Assert.Equal(["worker-a", "worker-b"], new[] { firstWorker, secondWorker }.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task PoolUnary_SessionsStayOnTheirWorker_AndMoveToTheOtherWhenItStops()
    {
        var ct = Token();
        await using var redis = await RedisServer.StartAsync(ct);
        await using var a = await PoolWorkerHost.StartAsync("worker-a", Pool, redis.ConnectionString, ct);
        await using var b = await PoolWorkerHost.StartAsync("worker-b", Pool, redis.ConnectionString, ct);
        await WaitForMembersAsync(redis, ["worker-a", "worker-b"], ct);
        var logs = new LogCapture();
        await using var gateway = await StartGatewayAsync(redis, logs, ct);
        var (one, gatewayPeer) = await ConnectPeerAsync(gateway, ct);
        await using var _ = one;
        var (two, _) = await ConnectPeerAsync(gateway, ct);
        await using var __ = two;

        var oneWorker = WorkerOf(await CallAsync(one, gatewayPeer, "open:s1", ct));
        var twoWorker = WorkerOf(await CallAsync(two, gatewayPeer, "open:s2", ct));
        for (var i = 1; i <= 3; i++)
        {
            Assert.Equal($"{oneWorker}:s1:{i}", await CallAsync(one, gatewayPeer, "step:s1", ct));
            Assert.Equal($"{twoWorker}:s2:{i}", await CallAsync(two, gatewayPeer, "step:s2", ct));
        }

        Assert.NotEqual(oneWorker, twoWorker);

        // The worker that holds the first session stops: that session's next step reaches the other worker, which
        // never saw it; the caller replays it there, and it stays there. The second session is not disturbed.
        await (oneWorker == a.Name ? a : b).StopAsync();
        var lost = await Assert.ThrowsAsync<UnaryCallException>(() => CallAsync(one, gatewayPeer, "step:s1", ct));
        Assert.Equal($"{twoWorker}: unknown session s1", lost.Message);
        Assert.Equal($"{twoWorker}:s1:opened", await CallAsync(one, gatewayPeer, "open:s1", ct));
        Assert.Equal($"{twoWorker}:s1:1", await CallAsync(one, gatewayPeer, "step:s1", ct));
        Assert.Equal($"{twoWorker}:s2:4", await CallAsync(two, gatewayPeer, "step:s2", ct));

        var moved = Assert.Single(logs.Entries, e => e.EventId == PoolWorkerGone);
        Assert.Equal(LogLevel.Warning, moved.Level);
        Assert.Equal($"Worker {oneWorker} is gone; sessions of {one.PeerId} move to {twoWorker}", moved.Message);

        // New streams go to the live worker.
        await using var stream = await one.Host.OpenStreamAsync(gatewayPeer, [SessionStream], ct);
        using var reader = new StreamReader(stream.Stream, Encoding.UTF8);
        Assert.Equal(twoWorker, await StepAsync(stream, reader, "after", ct));
    }

    [Fact]
    public async Task PoolRegistry_WorkerDiesWithoutLeaving_ItsEntryExpires_AndStreamsGoToTheLiveWorker()
    {
        var ct = Token();
        await using var redis = await RedisServer.StartAsync(ct);
        await using var live = await PoolWorkerHost.StartAsync("worker-b", Pool, redis.ConnectionString, ct);

        // A worker that registered once and died: nothing listens at its endpoint, nothing refreshes or removes its entry.
        var dead = new WorkerRegistration("worker-a", new Uri($"http://127.0.0.1:{FreeTcpPort.Next()}"), 0, DateTimeOffset.UtcNow);
        await new WorkerRegistry(redis.Connection, Pool).PublishAsync(dead, TimeSpan.FromSeconds(1), ct);
        await WaitForMembersAsync(redis, ["worker-a", "worker-b"], ct);
        await using var gateway = await StartGatewayAsync(redis, null, ct);
        var (peer, gatewayPeer) = await ConnectPeerAsync(gateway, ct);
        await using var _ = peer;

        // The dead worker ties for fewest sessions and comes first by name, so the gateway tries it, then the live one.
        await using (var stream = await peer.Host.OpenStreamAsync(gatewayPeer, [SessionStream], ct))
        {
            using var reader = new StreamReader(stream.Stream, Encoding.UTF8);
            Assert.Equal("worker-b", await StepAsync(stream, reader, "first", ct));
        }

        var db = redis.Connection.GetDatabase();
        await Poll.UntilAsync(async _ => await db.KeyExistsAsync(WorkerRegistryKeys.Worker(Pool, "worker-a")), static exists => !exists, TimeSpan.FromSeconds(10), ct);
        await Task.Delay(TimeSpan.FromMilliseconds(300), ct);
        await using (var stream = await peer.Host.OpenStreamAsync(gatewayPeer, [SessionStream], ct))
        {
            using var reader = new StreamReader(stream.Stream, Encoding.UTF8);
            Assert.Equal("worker-b", await StepAsync(stream, reader, "second", ct));
        }

        var members = (await db.SetMembersAsync(WorkerRegistryKeys.Members(Pool))).Select(static m => m.ToString()).ToArray();
        Assert.Equal(["worker-b"], members);
        Assert.True(await db.KeyExistsAsync(WorkerRegistryKeys.Worker(Pool, "worker-b")));
    }

    [Fact]
    public async Task PoolRegistry_InvalidEntries_AreSkipped_AndTheValidWorkerServes()
    {
        var ct = Token();
        await using var redis = await RedisServer.StartAsync(ct);
        await using var live = await PoolWorkerHost.StartAsync("worker-b", Pool, redis.ConnectionString, ct);
        await WaitForMembersAsync(redis, ["worker-b"], ct);
        var db = redis.Connection.GetDatabase();
        await db.SetAddAsync(WorkerRegistryKeys.Members(Pool), ["junk", "mismatch", "bad-endpoint"]);
        await db.StringSetAsync(WorkerRegistryKeys.Worker(Pool, "junk"), "not json");
        await db.StringSetAsync(WorkerRegistryKeys.Worker(Pool, "mismatch"), new WorkerRegistration("someone-else", new Uri("http://127.0.0.1:1"), 0, DateTimeOffset.UtcNow).ToJson());
        await db.StringSetAsync(WorkerRegistryKeys.Worker(Pool, "bad-endpoint"), """{"workerId":"bad-endpoint","endpoint":"ftp://x/","openSessions":0,"updatedAt":"2026-01-01T00:00:00Z"}""");
        var logs = new LogCapture();
        await using var gateway = await StartGatewayAsync(redis, logs, ct);
        var (peer, gatewayPeer) = await ConnectPeerAsync(gateway, ct);
        await using var _ = peer;

        for (var i = 0; i < 3; i++)
        {
            await using var stream = await peer.Host.OpenStreamAsync(gatewayPeer, [SessionStream], ct);
            using var reader = new StreamReader(stream.Stream, Encoding.UTF8);
            Assert.Equal("worker-b", await StepAsync(stream, reader, "step", ct));
        }

        Assert.Contains(logs.Entries, static e => e.EventId == 3522 && e.Message.Contains("junk", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, static e => e.EventId == 3522 && e.Message.Contains("mismatch", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, static e => e.EventId == 3522 && e.Message.Contains("bad-endpoint", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PoolUnary_NoLiveWorker_FailsTheCallClearly()
    {
        var ct = Token();
        await using var redis = await RedisServer.StartAsync(ct);
        await using var gateway = await StartGatewayAsync(redis, null, ct);
        var (peer, gatewayPeer) = await ConnectPeerAsync(gateway, ct);
        await using var _ = peer;

        var error = await Assert.ThrowsAsync<UnaryCallException>(() => CallAsync(peer, gatewayPeer, "open:s1", ct));

        Assert.Contains("no live worker", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pool://inference-worker", false, "needs Redis")]
    [InlineData("pool://inference-worker/extra", true, "pool://name")]
    [InlineData("ftp://dht", true, "http, https or pool")]
    public async Task PoolRoute_BadAddressOrNoRedis_FailsStartNamingTheSetting(string address, bool withRedis, string expected)
    {
        var ct = Token();
        var settings = new Dictionary<string, string?>
        {
            ["KwaaiNet:Gateway:Inbound:0:Protocol"] = SessionUnary,
            ["KwaaiNet:Gateway:Inbound:0:Address"] = address,
        };
        if (withRedis)
        {
            settings["ConnectionStrings:redis"] = "127.0.0.1:1,abortConnect=false";
        }

        var error = await Assert.ThrowsAnyAsync<Exception>(() =>
            ModuleHost.StartAsync(static b => b.AddP2PGateway(), static a => a.MapP2PGateway(), settings, ct));

        Assert.Contains("KwaaiNet:Gateway:Inbound:0:Address", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    private static async Task<string> StepAsync(PeerStream stream, StreamReader reader, string line, CancellationToken cancellationToken)
    {
        await stream.Stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), cancellationToken);
        await stream.Stream.FlushAsync(cancellationToken);
        var reply = await reader.ReadLineAsync(cancellationToken);
        Assert.NotNull(reply);
        Assert.EndsWith(":" + line, reply, StringComparison.Ordinal);
        return reply[..^(line.Length + 1)];
    }

    private static async Task<string> CallAsync(TestNode caller, PeerId gateway, string data, CancellationToken cancellationToken) =>
        Encoding.UTF8.GetString(await caller.Unary.CallAsync(gateway, SessionUnary, Encoding.UTF8.GetBytes(data), cancellationToken));

    private static string WorkerOf(string reply) => reply[..reply.IndexOf(':', StringComparison.Ordinal)];

    private static async Task WaitForMembersAsync(RedisServer redis, string[] workers, CancellationToken cancellationToken)
    {
        var db = redis.Connection.GetDatabase();
        await Poll.UntilAsync(
            async _ => (await db.SetMembersAsync(WorkerRegistryKeys.Members(Pool))).Select(static m => m.ToString()).Order(StringComparer.Ordinal).ToArray(),
            members => members.SequenceEqual(workers),
            TimeSpan.FromSeconds(10),
            cancellationToken);
    }

    private static Task<ModuleHost> StartGatewayAsync(RedisServer redis, LogCapture? logs, CancellationToken cancellationToken) =>
        ModuleHost.StartAsync(
            b =>
            {
                b.AddP2PGateway();
                if (logs is not null)
                {
                    b.Logging.AddProvider(logs);
                }
            },
            static a => a.MapP2PGateway(),
            new Dictionary<string, string?>
            {
                ["ConnectionStrings:redis"] = redis.ConnectionString,
                ["KwaaiNet:Gateway:Inbound:0:Protocol"] = SessionUnary,
                ["KwaaiNet:Gateway:Inbound:0:Address"] = "pool://" + Pool,
                ["KwaaiNet:Gateway:Inbound:0:Kind"] = "Unary",
                ["KwaaiNet:Gateway:Inbound:1:Protocol"] = SessionStream,
                ["KwaaiNet:Gateway:Inbound:1:Address"] = "pool://" + Pool,
                ["KwaaiNet:Gateway:Inbound:1:Kind"] = "Stream",
            },
            cancellationToken);

    private static async Task<(TestNode Peer, PeerId Gateway)> ConnectPeerAsync(ModuleHost gateway, CancellationToken cancellationToken)
    {
        var identity = await new Gateway.GatewayClient(gateway.Channel).IdentityAsync(new IdentityRequest(), cancellationToken: cancellationToken);
        var peer = await TestNode.StartAsync(cancellationToken: cancellationToken);
        await peer.Host.ConnectAsync(Multiaddr.Parse(identity.ListenAddrs[0]), cancellationToken);
        return (peer, PeerId.Parse(identity.PeerId));
    }

    private static CancellationToken Token() => TestTimeout.Start(TimeSpan.FromSeconds(60)).Token;
}
