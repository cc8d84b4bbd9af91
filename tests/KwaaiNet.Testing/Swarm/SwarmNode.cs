// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Net.Http.Json;
using KwaaiNet.Carbon.Hosting;
using KwaaiNet.Hivemind.Hosting;
using KwaaiNet.Inference.Hosting;
using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Petals.Hosting;
using KwaaiNet.Petals.Map;
using Microsoft.Extensions.DependencyInjection;

namespace KwaaiNet.Testing.Swarm;

/// <summary>
/// One whole node in this process, composed as services/KwaaiNet.Node composes it (gateway, dht, inference-worker,
/// map-announcer, carbon-tracker), its libp2p host on a free loopback port, serving one span of a shared model file.
/// </summary>
public sealed class SwarmNode : IAsyncDisposable
{
    private int _disposed;

    private SwarmNode(string name, ModuleHost host)
    {
        Name = name;
        Host = host;
        var local = host.App.Services.GetRequiredService<ILocalLibp2pNode>();
        PeerId = local.Host.PeerId.ToBase58();
        Address = $"{local.Host.ListenAddresses[0]}/p2p/{PeerId}";
    }

    public string Name { get; }

    public ModuleHost Host { get; }

    /// <summary>The node's base58 peer id.</summary>
    public string PeerId { get; }

    /// <summary>Its listen multiaddr with <c>/p2p/{peer id}</c>, for other nodes' <c>initial_peers</c>.</summary>
    public string Address { get; }

    /// <summary>Starts a node serving blocks [<paramref name="startBlock"/>, + <paramref name="blocks"/>).</summary>
    public static async Task<SwarmNode> StartAsync(
        string name,
        SwarmSettings swarm,
        int startBlock,
        int blocks,
        string? bootstrap,
        CancellationToken cancellationToken)
    {
        var settings = new Dictionary<string, string?>(swarm.Settings)
        {
            ["KwaaiNet:Node:public_name"] = name,
            ["KwaaiNet:Node:start_block"] = startBlock.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["KwaaiNet:Node:blocks"] = blocks.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (bootstrap is not null)
        {
            settings["KwaaiNet:Node:initial_peers:0"] = bootstrap;
        }

        var host = await ModuleHost.StartAsync(
            static b =>
            {
                b.AddP2PGateway();
                b.AddDht();
                b.AddInferenceWorker();
                b.AddPetalsServer();
                b.AddMapAnnouncer();
                b.AddCarbonTracker();
            },
            static a =>
            {
                a.MapP2PGateway();
                a.MapDht();
                a.MapInferenceWorker();
                a.MapPetalsServer();
                a.MapMapAnnouncer();
                a.MapCarbonTracker();
            },
            settings,
            cancellationToken);
        return new SwarmNode(name, host);
    }

    /// <summary>The node's <c>/api/v1/state</c>.</summary>
    public async Task<MapStateDocument> GetStateAsync(CancellationToken cancellationToken) =>
        await Host.Http.GetFromJsonAsync<MapStateDocument>("/api/v1/state", cancellationToken) ?? throw new InvalidOperationException("/api/v1/state answered null");

    /// <summary>The node's <c>/map</c> page.</summary>
    public Task<string> GetPageAsync(CancellationToken cancellationToken) => Host.Http.GetStringAsync("/map", cancellationToken);

    /// <summary>Stops the node once (a test stops one mid-way and disposes every node at the end).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await Host.DisposeAsync();
        }
    }
}
