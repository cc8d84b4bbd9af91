// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Generation;
using KwaaiNet.Petals.Client;
using KwaaiNet.Petals.Kwaai;
using KwaaiNet.Testing;
using KwaaiNet.Testing.Swarm;
using Microsoft.Extensions.DependencyInjection;

namespace KwaaiNet.Swarm.Tests;

/// <summary>
/// Generation across whole nodes on loopback over KwaaiNet's <c>/kwaai/inference/1.0.0</c>: the client node finds the
/// servers in the DHT, routes, and generates with the hidden states in f16 between hops; greedy output equals a
/// single-process run that rounds the hidden states to f16 at the same hop boundaries, token for token.
/// </summary>
public sealed class KwaaiSwarmGenerationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ThreeNodes_GreedyGenerationOverKwaaiInference_EqualsTheF16HopReference()
    {
        var ct = TestContext.Current.CancellationToken;
        using var swarm = GenerationSwarm.NewSwarm();
        await using var first = await SwarmNode.StartAsync("kgen-1", swarm, startBlock: 0, blocks: 2, bootstrap: null, ct);
        await using var second = await SwarmNode.StartAsync("kgen-2", swarm, startBlock: 2, blocks: 2, first.Address, ct);
        await using var third = await SwarmNode.StartAsync("kgen-3", swarm, startBlock: 4, blocks: 2, first.Address, ct);
        SwarmNode[] nodes = [first, second, third];
        using var logs = new LogCapture();
        await using var client = await GenerationSwarm.StartClientAsync(swarm, first.Address, logs, SpanProtocol.Kwaai, ct);
        await GenerationSwarm.WaitForServersAsync(client, swarm, nodes, ct);
        var request = new GenerationRequest { MaxNewTokens = 12 };

        var tokens = await GenerationSwarm.GenerateAsync(client, request, onToken: null, ct);
        var sessionsAfterFirst = nodes.Select(static n => Handler(n).OpenSessionCount).ToArray();
        var again = await GenerationSwarm.GenerateAsync(client, request, onToken: null, ct);

        var reference = GenerationSwarm.ReferenceWithF16Hops(swarm, request, [2, 4]);
        output.WriteLine("network:          " + GenerationSwarm.Describe(tokens));
        output.WriteLine("f16-hop reference: " + GenerationSwarm.Describe(reference));
        output.WriteLine("fp32 reference:    " + GenerationSwarm.Describe(GenerationSwarm.Reference(swarm, request)));
        Assert.Equal(reference, tokens);
        Assert.Equal(reference, again);
        var routes = logs.Entries.Where(static e => e.EventId == GenerationSwarm.RouteChosen).Select(static e => e.Message).ToList();
        Assert.Equal(2, routes.Count);
        Assert.All(routes, r => Assert.Contains($"[0, 2) on {first.PeerId}, [2, 4) on {second.PeerId}, [4, 6) on {third.PeerId}", r, StringComparison.Ordinal));
        Assert.Equal(0, logs.Count(GenerationSwarm.Rerouting));

        // Every server held the generation's session on /kwaai/inference/1.0.0, and the second generation reused its id
        // (upstream has no close message) instead of opening another cache.
        Assert.Equal([1, 1, 1], sessionsAfterFirst);
        Assert.Equal([1, 1, 1], nodes.Select(static n => Handler(n).OpenSessionCount));
    }

    private static KwaaiInferenceHandler Handler(SwarmNode node) => node.Host.App.Services.GetRequiredService<KwaaiInferenceHandler>();
}
