// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using KwaaiNet.Inference.Generation;
using KwaaiNet.Petals.Client;
using KwaaiNet.Testing;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Petals.Tests.Client;

/// <summary>
/// Generation through chains of in-process servers that run real span steps: the output equals single-process
/// generation token for token, also when a server fails mid-generation and the client re-routes and replays.
/// </summary>
public sealed class DistributedGeneratorTests
{
    private const int Rerouting = 4502;
    private static readonly int[] Prompt = [1, 72, 101, 108, 108, 111, 33];

    [Fact]
    public async Task Generate_ThreeServers_EqualsSingleProcessGreedy()
    {
        using var servers = new LocalSpanServers(("a", 0, 2), ("b", 2, 4), ("c", 4, 6));
        using var logs = new LogCapture();
        var request = new GenerationRequest { MaxNewTokens = 12 };

        var tokens = await GenerateAsync(servers, request, logs);

        Assert.Equal(Reference(servers, request), tokens.Select(static t => t.Id));
        Assert.Equal(Enumerable.Range(0, 12), tokens.Select(static t => t.Index));
        Assert.Equal(GenerationFinishReason.Length, tokens[^1].FinishReason);
        Assert.Equal(0, logs.Count(Rerouting));
        Assert.Equal(0, servers.OpenSessions);

        // The prompt in one step, then one token per step, at the right positions, on every server.
        foreach (var peer in new[] { "a", "b", "c" })
        {
            var steps = servers.Steps.Where(s => s.PeerId == peer).ToList();
            Assert.Equal([(0, Prompt.Length), .. Enumerable.Range(Prompt.Length, 11).Select(static p => (p, 1))], steps.Select(static s => (s.Position, s.Tokens)));
        }
    }

    [Fact]
    public async Task Generate_OneActivityPerGeneration_AndOnePerHopStepInsideIt()
    {
        using var servers = new LocalSpanServers(("a", 0, 3), ("b", 3, 6));
        List<Activity> stopped = [];
        using var listener = new ActivityListener
        {
            ShouldListenTo = static s => s.Name == DistributedInferenceSession.ActivitySourceName,
            Sample = static (ref _) => ActivitySamplingResult.AllData,
            ActivityStopped = a =>
            {
                lock (stopped)
                {
                    stopped.Add(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        await GenerateAsync(servers, new GenerationRequest { MaxNewTokens = 3 }, new LogCapture());

        var generation = Assert.Single(stopped, static a => a.OperationName == "generate");
        var hops = stopped.Where(a => a.OperationName == "hop step" && a.TraceId == generation.TraceId).ToList();
        Assert.Equal(6, hops.Count);
        Assert.All(hops, h => Assert.Equal(generation.SpanId, h.ParentSpanId));
        Assert.Equal(["a", "b", "a", "b", "a", "b"], hops.Select(static h => (string?)h.GetTagItem("kwaainet.peer_id")));
    }

    [Fact]
    public async Task Generate_SampledWithASeed_EqualsSingleProcess()
    {
        using var servers = new LocalSpanServers(("a", 0, 3), ("b", 3, 6));
        var request = new GenerationRequest { MaxNewTokens = 9, Sampling = new SamplingOptions { Seed = 3, TopK = 20 } };

        var tokens = await GenerateAsync(servers, request, new LogCapture());

        Assert.Equal(Reference(servers, request), tokens.Select(static t => t.Id));
    }

    [Fact]
    public async Task Generate_MiddleServerDiesMidway_ReroutesReplaysAndTheOutputIsUnchanged()
    {
        using var servers = new LocalSpanServers(("a", 0, 2), ("b", 2, 4), ("b2", 2, 4), ("c", 4, 6));
        using var logs = new LogCapture();
        var request = new GenerationRequest { MaxNewTokens = 10 };
        var routes = NewRoutes(servers);
        string? killed = null;
        servers.FailStep = (peer, step) =>
        {
            // The first server of blocks [2, 4) to take four steps dies there (prompt + 3 tokens done).
            if (killed is null && peer.StartsWith('b') && step == 4)
            {
                killed = peer;
                servers.Kill(peer);
                return true;
            }

            return false;
        };

        var tokens = await GenerateAsync(servers, request, logs, routes);

        Assert.Equal(Reference(servers, request), tokens.Select(static t => t.Id));
        Assert.NotNull(killed);
        var survivor = killed == "b" ? "b2" : "b";
        var log = Assert.Single(logs.Entries, static e => e.EventId == Rerouting);
        Assert.Equal(LogLevel.Warning, log.Level);
        Assert.StartsWith($"Re-routing blocks [2, 4) away from {killed}: ", log.Message, StringComparison.Ordinal);
        Assert.EndsWith($"new route [2, 4) on {survivor}", log.Message, StringComparison.Ordinal);
        Assert.True(routes.Bans.IsBanned(killed));

        // The survivor's first step replays all 10 tokens the dead server had taken, at position 0, then redoes the step.
        var replacement = servers.Steps.Where(s => s.PeerId == survivor).ToList();
        Assert.Equal((0, Prompt.Length + 3), (replacement[0].Position, replacement[0].Tokens));
        Assert.Equal((Prompt.Length + 3, 1), (replacement[1].Position, replacement[1].Tokens));
        Assert.Equal(0, servers.OpenSessions);
    }

    [Fact]
    public async Task Generate_FailedSpanReplacedByTwoServers_ReplaysThroughBoth()
    {
        // b [2, 4) is the fastest route; when it dies, d [2, 3) and e [3, 4) take its blocks: e's history is d's replay.
        using var servers = new LocalSpanServers(("a", 0, 2), ("b", 2, 4), ("d", 2, 3), ("e", 3, 4), ("c", 4, 6));
        using var logs = new LogCapture();
        var request = new GenerationRequest { MaxNewTokens = 8 };
        servers.FailStep = (peer, step) =>
        {
            if (peer == "b" && step == 3)
            {
                servers.Kill("b");
                return true;
            }

            return false;
        };

        var tokens = await GenerateAsync(servers, request, logs);

        Assert.Equal(Reference(servers, request), tokens.Select(static t => t.Id));
        Assert.Contains(logs.Entries, static e => e.EventId == Rerouting && e.Message.EndsWith("new route [2, 3) on d, [3, 4) on e", StringComparison.Ordinal));
        foreach (var peer in new[] { "d", "e" })
        {
            var first = servers.Steps.First(s => s.PeerId == peer);
            Assert.Equal((0, Prompt.Length + 2), (first.Position, first.Tokens));
        }
    }

    [Fact]
    public async Task Generate_FailureOnTheFirstStep_ReroutesWithoutReplay()
    {
        using var servers = new LocalSpanServers(("a", 0, 6), ("a2", 0, 6));
        using var logs = new LogCapture();
        var request = new GenerationRequest { MaxNewTokens = 4 };
        servers.RefuseOpen.Add("a");

        var tokens = await GenerateAsync(servers, request, logs);

        Assert.Equal(Reference(servers, request), tokens.Select(static t => t.Id));
        Assert.Single(logs.Entries, static e => e.EventId == Rerouting && e.Message.Contains("away from a:", StringComparison.Ordinal));
        Assert.Equal((0, Prompt.Length), (servers.Steps[0].Position, servers.Steps[0].Tokens));
        Assert.All(servers.Steps, static s => Assert.Equal("a2", s.PeerId));
    }

    [Fact]
    public async Task Generate_EveryServerOfABlockFails_GivesUpAfterMaxRetries()
    {
        using var servers = new LocalSpanServers(("a", 0, 3), ("b", 3, 6), ("b2", 3, 6));
        using var logs = new LogCapture();
        servers.FailStep = static (peer, _) => peer.StartsWith('b');
        var options = new ClientOptions { MaxRetries = 3, MinBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromMilliseconds(4) };

        var error = await Assert.ThrowsAsync<DistributedInferenceException>(
            () => GenerateAsync(servers, new GenerationRequest { MaxNewTokens = 3 }, logs, options: options));

        Assert.Contains("[3, 6)", error.Message, StringComparison.Ordinal);
        Assert.Contains("after 4 attempts", error.Message, StringComparison.Ordinal);
        Assert.IsType<RemoteSpanException>(error.InnerException);
        Assert.Equal(4, servers.Steps.Count(static s => s.PeerId.StartsWith('b')));
        Assert.Equal(0, servers.OpenSessions);
    }

    [Fact]
    public async Task Generate_NoServerForABlock_FailsWithRouteNotFound()
    {
        using var servers = new LocalSpanServers(("a", 0, 3));
        var options = new ClientOptions { MaxRetries = 1, MinBackoff = TimeSpan.FromMilliseconds(1) };

        var error = await Assert.ThrowsAsync<DistributedInferenceException>(
            () => GenerateAsync(servers, new GenerationRequest { MaxNewTokens = 2 }, new LogCapture(), options: options));

        Assert.IsType<RouteNotFoundException>(error.InnerException);
    }

    [Fact]
    public void Generate_BadPrompt_ThrowsAtOnce()
    {
        using var servers = new LocalSpanServers(("a", 0, 6));
        using var generator = NewGenerator(servers, new LogCapture(), NewRoutes(servers), new ClientOptions());
        var request = new GenerationRequest { MaxNewTokens = 2 };

        Assert.Throws<ArgumentException>(() => generator.GenerateAsync([], request, TestContext.Current.CancellationToken));
        Assert.Throws<ArgumentOutOfRangeException>(() => generator.GenerateAsync([1, 5000], request, TestContext.Current.CancellationToken));
        Assert.Throws<ArgumentOutOfRangeException>(() => generator.GenerateAsync([1], new GenerationRequest { MaxNewTokens = 0 }, TestContext.Current.CancellationToken));
        Assert.Empty(servers.Steps);
    }

    private static RouteFinder NewRoutes(LocalSpanServers servers) =>
        new((_, _, _) => Task.FromResult(servers.Spans), new ServerBans(ServerBans.DefaultBaseTime, TimeProvider.System), pings: null);

    private static DistributedGenerator NewGenerator(LocalSpanServers servers, LogCapture logs, RouteFinder routes, ClientOptions options) =>
        new(LocalModelParts.Load(servers.ModelPath), LocalSpanServers.Prefix, routes, servers, options, TimeProvider.System, logs.CreateLogger(nameof(DistributedGenerator)));

    private static async Task<List<GeneratedToken>> GenerateAsync(
        LocalSpanServers servers, GenerationRequest request, LogCapture logs, RouteFinder? routes = null, ClientOptions? options = null)
    {
        using var generator = NewGenerator(servers, logs, routes ?? NewRoutes(servers), options ?? new ClientOptions());
        List<GeneratedToken> tokens = [];
        await foreach (var token in generator.GenerateAsync(Prompt, request, TestContext.Current.CancellationToken))
        {
            tokens.Add(token);
        }

        return tokens;
    }

    private static List<int> Reference(LocalSpanServers servers, GenerationRequest request)
    {
        using var manager = LocalSpanServers.NewManager(servers.Whole);
        return [.. new LlamaGenerator(servers.Client, manager).Generate(Prompt, request, TestContext.Current.CancellationToken)];
    }
}
