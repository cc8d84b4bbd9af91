// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text.RegularExpressions;
using KwaaiNet.Inference.Generation;
using KwaaiNet.Petals.Client;
using KwaaiNet.Testing;
using KwaaiNet.Testing.Swarm;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Swarm.Tests;

/// <summary>
/// Generation across whole nodes on loopback over Petals' <c>rpc_inference</c>: a client node (gateway, dht, client)
/// finds the servers in the DHT, routes, and generates; greedy output equals single-process generation token for
/// token, also when the server the route uses for the middle blocks is stopped mid-generation.
/// </summary>
public sealed partial class SwarmGenerationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ThreeNodes_GreedyGenerationThroughTheNetwork_EqualsSingleProcess()
    {
        var ct = TestContext.Current.CancellationToken;
        using var swarm = GenerationSwarm.NewSwarm();
        await using var first = await SwarmNode.StartAsync("gen-1", swarm, startBlock: 0, blocks: 2, bootstrap: null, ct);
        await using var second = await SwarmNode.StartAsync("gen-2", swarm, startBlock: 2, blocks: 2, first.Address, ct);
        await using var third = await SwarmNode.StartAsync("gen-3", swarm, startBlock: 4, blocks: 2, first.Address, ct);
        using var logs = new LogCapture();
        await using var client = await GenerationSwarm.StartClientAsync(swarm, first.Address, logs, SpanProtocol.Petals, ct);
        await GenerationSwarm.WaitForServersAsync(client, swarm, [first, second, third], ct);
        var request = new GenerationRequest { MaxNewTokens = 12 };

        var tokens = await GenerationSwarm.GenerateAsync(client, request, onToken: null, ct);

        Assert.Equal(GenerationSwarm.Reference(swarm, request), tokens);
        var route = Assert.Single(logs.Entries, static e => e.EventId == GenerationSwarm.RouteChosen).Message;
        output.WriteLine(route);
        Assert.Contains($"[0, 2) on {first.PeerId}, [2, 4) on {second.PeerId}, [4, 6) on {third.PeerId}", route, StringComparison.Ordinal);
        Assert.Equal(0, logs.Count(GenerationSwarm.Rerouting));
    }

    [Fact]
    public async Task MiddleNodeStopsMidGeneration_ClientReroutesAndTheOutputIsUnchanged()
    {
        var ct = TestContext.Current.CancellationToken;
        using var swarm = GenerationSwarm.NewSwarm();
        await using var first = await SwarmNode.StartAsync("gen-1", swarm, startBlock: 0, blocks: 2, bootstrap: null, ct);
        await using var middleA = await SwarmNode.StartAsync("gen-2a", swarm, startBlock: 2, blocks: 2, first.Address, ct);
        await using var middleB = await SwarmNode.StartAsync("gen-2b", swarm, startBlock: 2, blocks: 2, first.Address, ct);
        await using var last = await SwarmNode.StartAsync("gen-3", swarm, startBlock: 4, blocks: 2, first.Address, ct);
        using var logs = new LogCapture();
        await using var client = await GenerationSwarm.StartClientAsync(swarm, first.Address, logs, SpanProtocol.Petals, ct);
        await GenerationSwarm.WaitForServersAsync(client, swarm, [first, middleA, middleB, last], ct);
        var request = new GenerationRequest { MaxNewTokens = 12 };
        SwarmNode? stopped = null;

        var tokens = await GenerationSwarm.GenerateAsync(
            client,
            request,
            async token =>
            {
                if (token.Index == 3)
                {
                    // The middle server the route uses, as the client logged it.
                    var route = Assert.Single(logs.Entries, static e => e.EventId == GenerationSwarm.RouteChosen).Message;
                    var middle = MiddlePeer().Match(route).Groups["peer"].Value;
                    stopped = middle == middleA.PeerId ? middleA : middleB;
                    output.WriteLine($"stopping {stopped.Name} ({middle}) after token {token.Index}");
                    await stopped.DisposeAsync();
                }
            },
            ct);

        Assert.Equal(GenerationSwarm.Reference(swarm, request), tokens);
        Assert.NotNull(stopped);
        var survivor = stopped == middleA ? middleB : middleA;
        var reroute = Assert.Single(logs.Entries, static e => e.EventId == GenerationSwarm.Rerouting);
        output.WriteLine(reroute.Message);
        Assert.Equal(LogLevel.Warning, reroute.Level);
        Assert.StartsWith($"Re-routing blocks [2, 4) away from {stopped.PeerId}: ", reroute.Message, StringComparison.Ordinal);
        Assert.EndsWith($"new route [2, 4) on {survivor.PeerId}", reroute.Message, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\[2, 4\) on (?<peer>\w+)")]
    private static partial Regex MiddlePeer();
}
