// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Hosting;
using KwaaiNet.Inference.Serving;
using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Petals.Kwaai;
using KwaaiNet.Petals.Tests.Gateway;
using KwaaiNet.Testing;
using KwaaiNet.Testing.Inference;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace KwaaiNet.Petals.Tests.Kwaai;

/// <summary>
/// A node serving every block of a generated tiny model (p2p-gateway, inference-worker and the
/// <c>/kwaai/inference/1.0.0</c> server in one process, as the embedded node composes them) and two other libp2p nodes
/// connected to it over loopback, each with a <see cref="KwaaiInferenceClient"/>.
/// </summary>
public sealed class KwaaiServerFixture : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kwaainet-kwaai-" + Guid.NewGuid().ToString("N"));
    private ModuleHost? _server;
    private ModuleHost? _first;
    private ModuleHost? _second;

    /// <summary>The server's base58 peer id.</summary>
    public string ServerPeerId { get; private set; } = null!;

    /// <summary>The span the server's worker serves.</summary>
    public ServedSpan Span { get; private set; } = null!;

    /// <summary>The worker's span provider, for handlers built beside the registered one.</summary>
    public IServedSpanProvider Spans { get; private set; } = null!;

    /// <summary>A client on the first calling node.</summary>
    public KwaaiInferenceClient First { get; private set; } = null!;

    /// <summary>A client on the second calling node (another peer id).</summary>
    public KwaaiInferenceClient Second { get; private set; } = null!;

    /// <summary>The first calling node's raw unary call, for bytes no client would send.</summary>
    public Func<byte[], CancellationToken, Task<byte[]>> RawCall { get; private set; } = null!;

    public int Hidden => Span.Config.HiddenSize;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, "tiny.gguf");
        TinyLlamaGguf.Write(path, GgmlType.F32, seed: 11, TinyLlamaGguf.Default);
        _server = await StartServerAsync(path, _folder, 0, TinyLlamaGguf.Default.LayerCount, ct);
        Spans = _server.App.Services.GetRequiredService<IServedSpanProvider>();
        await Poll.UntilAsync(() => Spans.Current is not null, ct, TimeSpan.FromSeconds(60));
        Span = Spans.Current!;
        var local = _server.App.Services.GetRequiredService<ILocalLibp2pNode>();
        ServerPeerId = local.Host.PeerId.ToBase58();
        var address = Multiaddr.Parse($"{local.Host.ListenAddresses[0]}/p2p/{ServerPeerId}");

        _first = await GatewayNode.StartGatewayAsync(ct);
        _second = await GatewayNode.StartGatewayAsync(ct);
        First = await ConnectAsync(_first, address, ct);
        Second = await ConnectAsync(_second, address, ct);
        var firstNode = _first.App.Services.GetRequiredService<ILocalLibp2pNode>();
        var server = PeerId.Parse(ServerPeerId);
        RawCall = (bytes, token) => firstNode.Unary.CallAsync(server, KwaaiInferenceCodec.Protocol, bytes, token);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in new[] { _first, _second, _server })
        {
            if (host is not null)
            {
                await host.DisposeAsync();
            }
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // The model file may still be mapped while the worker shuts down; the temp folder is cleaned by the system.
        }
    }

    /// <summary>
    /// Starts a node (p2p-gateway, inference-worker, <c>/kwaai/inference/1.0.0</c> server) serving blocks
    /// [<paramref name="start"/>, + <paramref name="blocks"/>) of the model file at <paramref name="modelPath"/>.
    /// </summary>
    public static Task<ModuleHost> StartServerAsync(string modelPath, string folder, int start, int blocks, CancellationToken cancellationToken) =>
        ModuleHost.StartAsync(
            static b =>
            {
                b.AddP2PGateway();
                b.AddInferenceWorker();
                b.AddKwaaiInferenceServer();
            },
            static a =>
            {
                a.MapP2PGateway();
                a.MapInferenceWorker();
            },
            new Dictionary<string, string?>
            {
                ["KwaaiNet:Node:model"] = "tiny",
                ["KwaaiNet:Node:use_gpu"] = "false",
                ["KwaaiNet:Node:start_block"] = start.ToString(CultureInfo.InvariantCulture),
                ["KwaaiNet:Node:blocks"] = blocks.ToString(CultureInfo.InvariantCulture),
                ["KwaaiNet:Inference:ModelPath"] = modelPath,
                ["KwaaiNet:Inference:OllamaModels"] = Path.Combine(folder, "no-ollama-store"),
                ["KwaaiNet:Inference:Threads"] = "1",
                ["KwaaiNet:Inference:ThroughputWarmupSteps"] = "1",
                ["KwaaiNet:Inference:ThroughputSteps"] = "2",
            },
            cancellationToken);

    /// <summary>A client on a gateway-only node connected to <paramref name="server"/>.</summary>
    public static async Task<KwaaiInferenceClient> ConnectAsync(ModuleHost host, Multiaddr server, CancellationToken cancellationToken)
    {
        var node = host.App.Services.GetRequiredService<ILocalLibp2pNode>();
        await node.Host.ConnectAsync(server, cancellationToken);
        return new KwaaiInferenceClient(
            async (peer, protocol, request, ct) => await node.Unary.CallAsync(PeerId.Parse(peer), protocol, request, ct),
            TimeProvider.System,
            NullLogger<KwaaiInferenceClient>.Instance);
    }
}
