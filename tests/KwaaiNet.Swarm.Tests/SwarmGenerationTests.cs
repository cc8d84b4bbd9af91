// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text.RegularExpressions;
using KwaaiNet.Hivemind.Client;
using KwaaiNet.Hivemind.Hosting;
using KwaaiNet.Inference.Generation;
using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Sessions;
using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Petals.Client;
using KwaaiNet.Petals.Hosting;
using KwaaiNet.Testing;
using KwaaiNet.Testing.Swarm;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Swarm.Tests;

/// <summary>
/// Generation across whole nodes on loopback over Petals' <c>rpc_inference</c>: a client node (gateway, dht, client)
/// finds the servers in the DHT, routes, and generates; greedy output equals single-process generation token for
/// token, also when the server the route uses for the middle blocks is stopped mid-generation.
/// </summary>
public sealed partial class SwarmGenerationTests(ITestOutputHelper output)
{
    private const int Layers = 6;
    private const int RouteChosen = 4501;
    private const int Rerouting = 4502;

    private static readonly int[] Prompt = [1, 72, 101, 108, 108, 111, 33];

    /// <summary>Time for a node to start, load its span and be seen online on this shared 2-core machine.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task ThreeNodes_GreedyGenerationThroughTheNetwork_EqualsSingleProcess()
    {
        var ct = TestContext.Current.CancellationToken;
        using var swarm = NewSwarm();
        await using var first = await SwarmNode.StartAsync("gen-1", swarm, startBlock: 0, blocks: 2, bootstrap: null, ct);
        await using var second = await SwarmNode.StartAsync("gen-2", swarm, startBlock: 2, blocks: 2, first.Address, ct);
        await using var third = await SwarmNode.StartAsync("gen-3", swarm, startBlock: 4, blocks: 2, first.Address, ct);
        using var logs = new LogCapture();
        await using var client = await StartClientAsync(swarm, first.Address, logs, ct);
        await WaitForServersAsync(client, [first, second, third], ct);
        var request = new GenerationRequest { MaxNewTokens = 12 };

        var tokens = await GenerateAsync(client, request, onToken: null, ct);

        Assert.Equal(Reference(swarm, request), tokens);
        var route = Assert.Single(logs.Entries, static e => e.EventId == RouteChosen).Message;
        output.WriteLine(route);
        Assert.Contains($"[0, 2) on {first.PeerId}, [2, 4) on {second.PeerId}, [4, 6) on {third.PeerId}", route, StringComparison.Ordinal);
        Assert.Equal(0, logs.Count(Rerouting));
    }

    [Fact]
    public async Task MiddleNodeStopsMidGeneration_ClientReroutesAndTheOutputIsUnchanged()
    {
        var ct = TestContext.Current.CancellationToken;
        using var swarm = NewSwarm();
        await using var first = await SwarmNode.StartAsync("gen-1", swarm, startBlock: 0, blocks: 2, bootstrap: null, ct);
        await using var middleA = await SwarmNode.StartAsync("gen-2a", swarm, startBlock: 2, blocks: 2, first.Address, ct);
        await using var middleB = await SwarmNode.StartAsync("gen-2b", swarm, startBlock: 2, blocks: 2, first.Address, ct);
        await using var last = await SwarmNode.StartAsync("gen-3", swarm, startBlock: 4, blocks: 2, first.Address, ct);
        using var logs = new LogCapture();
        await using var client = await StartClientAsync(swarm, first.Address, logs, ct);
        await WaitForServersAsync(client, [first, middleA, middleB, last], ct);
        var request = new GenerationRequest { MaxNewTokens = 12 };
        SwarmNode? stopped = null;

        var tokens = await GenerateAsync(
            client,
            request,
            async token =>
            {
                if (token.Index == 3)
                {
                    // The middle server the route uses, as the client logged it.
                    var route = Assert.Single(logs.Entries, static e => e.EventId == RouteChosen).Message;
                    var middle = MiddlePeer().Match(route).Groups["peer"].Value;
                    stopped = middle == middleA.PeerId ? middleA : middleB;
                    output.WriteLine($"stopping {stopped.Name} ({middle}) after token {token.Index}");
                    await stopped.DisposeAsync();
                }
            },
            ct);

        Assert.Equal(Reference(swarm, request), tokens);
        Assert.NotNull(stopped);
        var survivor = stopped == middleA ? middleB : middleA;
        var reroute = Assert.Single(logs.Entries, static e => e.EventId == Rerouting);
        output.WriteLine(reroute.Message);
        Assert.Equal(LogLevel.Warning, reroute.Level);
        Assert.StartsWith($"Re-routing blocks [2, 4) away from {stopped.PeerId}: ", reroute.Message, StringComparison.Ordinal);
        Assert.EndsWith($"new route [2, 4) on {survivor.PeerId}", reroute.Message, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\[2, 4\) on (?<peer>\w+)")]
    private static partial Regex MiddlePeer();

    private static SwarmSettings NewSwarm() =>
        new(Layers, renewalPeriod: TimeSpan.FromSeconds(10), recordTtl: TimeSpan.FromSeconds(30), crawlPeriod: TimeSpan.FromSeconds(5));

    private static Task<ModuleHost> StartClientAsync(SwarmSettings swarm, string bootstrap, LogCapture logs, CancellationToken cancellationToken) =>
        ModuleHost.StartAsync(
            b =>
            {
                b.Logging.AddProvider(logs);
                b.AddP2PGateway();
                b.AddDht();
                b.AddPetalsClient();
            },
            static a =>
            {
                a.MapP2PGateway();
                a.MapDht();
            },
            new Dictionary<string, string?>
            {
                ["KwaaiNet:Node:model"] = SwarmSettings.Model,
                ["KwaaiNet:Node:initial_peers:0"] = bootstrap,
                ["KwaaiNet:Client:ModelPath"] = swarm.Settings["KwaaiNet:Inference:ModelPath"],
                ["KwaaiNet:Client:DhtPrefix"] = SwarmSettings.Model,
            },
            cancellationToken);

    /// <summary>Waits until the client's DHT lists every node online.</summary>
    private static async Task WaitForServersAsync(ModuleHost client, IReadOnlyList<SwarmNode> nodes, CancellationToken cancellationToken)
    {
        var source = client.App.Services.GetRequiredService<ServerSpanSource>();
        await Poll.UntilAsync(
            async token =>
            {
                try
                {
                    return await source.ReadAsync(SwarmSettings.Model, Layers, token);
                }
                catch (DhtUnavailableException)
                {
                    return [];
                }
            },
            spans => nodes.All(n => spans.Any(s => s.PeerId == n.PeerId)),
            StartTimeout,
            cancellationToken);
    }

    private static async Task<List<int>> GenerateAsync(
        ModuleHost client, GenerationRequest request, Func<GeneratedToken, Task>? onToken, CancellationToken cancellationToken)
    {
        var generator = client.App.Services.GetRequiredService<DistributedGenerator>();
        List<int> ids = [];
        await foreach (var token in generator.GenerateAsync(Prompt, request, cancellationToken))
        {
            ids.Add(token.Id);
            if (onToken is not null)
            {
                await onToken(token);
            }
        }

        return ids;
    }

    /// <summary>The same generation in one process, with every layer of the same file.</summary>
    private static List<int> Reference(SwarmSettings swarm, GenerationRequest request)
    {
        using var file = GgufFile.Open(swarm.Settings["KwaaiNet:Inference:ModelPath"]!);
        var weights = new GgufLlamaWeights(file);
        using var client = new LlamaClientModel(weights);
        using var model = new SpanModel(weights, 0, weights.Config.LayerCount);
        using var sessions = new SpanSessionManager(model, Options.Create(new SpanSessionOptions()), TimeProvider.System);
        return [.. new LlamaGenerator(client, sessions).Generate(Prompt, request, TestContext.Current.CancellationToken)];
    }
}
