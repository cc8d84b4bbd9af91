// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Client;
using KwaaiNet.Hivemind.Hosting;
using KwaaiNet.Inference.OpenAi;
using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Petals.Client;
using KwaaiNet.Petals.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Testing.Swarm;

/// <summary>
/// A client node of a test swarm: gateway, dht and the distributed client (and, when asked, the OpenAI-compatible API
/// over the network's chains), running blocks on the swarm's nodes with the swarm's model file for its local parts.
/// </summary>
public static class SwarmClient
{
    /// <summary>Starts the client node, bootstrapped from <paramref name="bootstrap"/>.</summary>
    /// <param name="swarm">The swarm's settings (model file, prefix).</param>
    /// <param name="bootstrap">A node's multiaddr.</param>
    /// <param name="protocol">The span sessions' protocol.</param>
    /// <param name="logs">Receives the client's logs, when given.</param>
    /// <param name="openAi">Also serve the OpenAI-compatible API with the network's model.</param>
    /// <param name="cancellationToken">Stops the start.</param>
    public static Task<ModuleHost> StartAsync(
        SwarmSettings swarm, string bootstrap, SpanProtocol protocol, ILoggerProvider? logs, bool openAi, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(swarm);
        return ModuleHost.StartAsync(
            b =>
            {
                if (logs is not null)
                {
                    b.Logging.AddProvider(logs);
                }

                b.AddP2PGateway();
                b.AddDht();
                if (openAi)
                {
                    b.AddNetworkTextGeneration();
                }
                else
                {
                    b.AddPetalsClient();
                }
            },
            a =>
            {
                a.MapP2PGateway();
                a.MapDht();
                if (openAi)
                {
                    a.MapOpenAiApi();
                }
            },
            new Dictionary<string, string?>
            {
                ["KwaaiNet:Node:model"] = SwarmSettings.Model,
                ["KwaaiNet:Node:initial_peers:0"] = bootstrap,
                ["KwaaiNet:Client:ModelPath"] = swarm.Settings["KwaaiNet:Inference:ModelPath"],
                ["KwaaiNet:Client:DhtPrefix"] = SwarmSettings.Model,
                ["KwaaiNet:Client:Protocol"] = protocol.ToString(),
            },
            cancellationToken);
    }

    /// <summary>Waits until the client's DHT lists every one of <paramref name="nodes"/> serving the swarm's model online.</summary>
    /// <param name="client">The client node.</param>
    /// <param name="swarm">The swarm's settings (its layer count).</param>
    /// <param name="nodes">The nodes to wait for.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    public static async Task WaitForServersAsync(
        ModuleHost client, SwarmSettings swarm, IReadOnlyList<SwarmNode> nodes, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(swarm);
        var source = client.App.Services.GetRequiredService<ServerSpanSource>();
        await Poll.UntilAsync(
            async token =>
            {
                try
                {
                    return await source.ReadAsync(SwarmSettings.Model, swarm.Layers, token);
                }
                catch (DhtUnavailableException)
                {
                    return [];
                }
            },
            spans => nodes.All(n => spans.Any(s => s.PeerId == n.PeerId)),
            timeout,
            cancellationToken);
    }
}
