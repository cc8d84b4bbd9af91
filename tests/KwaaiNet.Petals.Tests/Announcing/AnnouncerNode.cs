// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Messages;
using KwaaiNet.Hivemind.Client;
using KwaaiNet.Hivemind.Hosting;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Values;
using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Petals.Hosting;
using KwaaiNet.Petals.Records;
using KwaaiNet.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace KwaaiNet.Petals.Tests.Announcing;

/// <summary>
/// A node with the gateway, the dht and the map-announcer in one process (no inference-worker: the tests publish the
/// workers' <see cref="WorkerSpanStatus"/> themselves), and what its DHT holds.
/// </summary>
internal sealed class AnnouncerNode : IAsyncDisposable
{
    private AnnouncerNode(ModuleHost host)
    {
        Host = host;
        var local = host.App.Services.GetRequiredService<ILocalLibp2pNode>();
        PeerId = local.Host.PeerId.ToBase58();
        Address = $"{local.Host.ListenAddresses[0]}/p2p/{PeerId}";
    }

    public ModuleHost Host { get; }

    public string PeerId { get; }

    public string Address { get; }

    public IDhtClient Dht => Host.App.Services.GetRequiredService<IDhtClient>();

    public static async Task<AnnouncerNode> StartAsync(IReadOnlyDictionary<string, string?>? settings, CancellationToken cancellationToken, Action<Microsoft.AspNetCore.Builder.WebApplicationBuilder>? configure = null)
    {
        var host = await ModuleHost.StartAsync(
            b =>
            {
                configure?.Invoke(b);
                b.AddP2PGateway();
                b.AddDht();
                b.AddMapAnnouncer();
            },
            static a =>
            {
                a.MapP2PGateway();
                a.MapDht();
                a.MapMapAnnouncer();
            },
            settings,
            cancellationToken);
        return new AnnouncerNode(host);
    }

    /// <summary>Publishes a worker's status on the node's bus.</summary>
    public Task PublishAsync(WorkerSpanStatus status, CancellationToken cancellationToken) =>
        Host.App.Services.GetRequiredService<IBus>().Publish(status, cancellationToken);

    /// <summary>The ServerInfo under <paramref name="key"/> with this node's peer id as subkey; null when absent.</summary>
    public async Task<ServerInfo?> ServerInfoAsync(string key, string peerId, CancellationToken cancellationToken)
    {
        var item = await Dht.GetAsync(DhtId.FromKey(key), latest: true, cancellationToken);
        var subkey = DhtMsgPack.Str(peerId);
        var entry = item?.Entries?.FirstOrDefault(e => e.Subkey.Span.SequenceEqual(subkey));
        return entry is null ? null : ServerInfoCodec.Decode(entry.Value.Span);
    }

    /// <summary>The subkeys (as text) of the dictionary under <paramref name="key"/>.</summary>
    public async Task<IReadOnlyList<string>> SubkeysAsync(string key, CancellationToken cancellationToken)
    {
        var item = await Dht.GetAsync(DhtId.FromKey(key), latest: true, cancellationToken);
        return [.. (item?.Entries ?? []).Select(static e => DhtMsgPack.TryReadStr(e.Subkey.Span) ?? "?")];
    }

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
