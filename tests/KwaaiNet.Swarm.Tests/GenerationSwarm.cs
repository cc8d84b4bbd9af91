// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using System.Runtime.InteropServices;
using KwaaiNet.Inference.Generation;
using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Sessions;
using KwaaiNet.Petals.Client;
using KwaaiNet.Petals.Kwaai;
using KwaaiNet.Testing;
using KwaaiNet.Testing.Swarm;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Swarm.Tests;

/// <summary>
/// What the generation tests share: a swarm of a 6-layer model, a client node (gateway, dht, distributed client) over a
/// chosen protocol, waiting for the servers, generating, and the single-process references.
/// </summary>
internal static class GenerationSwarm
{
    public const int Layers = 6;

    /// <summary>The client's <c>RouteChosen</c> event.</summary>
    public const int RouteChosen = 4501;

    /// <summary>The client's <c>Rerouting</c> event.</summary>
    public const int Rerouting = 4502;

    public static readonly int[] Prompt = [1, 72, 101, 108, 108, 111, 33];

    /// <summary>Time for a node to start, load its span and be seen online on this shared 2-core machine.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(180);

    public static SwarmSettings NewSwarm() =>
        new(Layers, renewalPeriod: TimeSpan.FromSeconds(10), recordTtl: TimeSpan.FromSeconds(30), crawlPeriod: TimeSpan.FromSeconds(5));

    public static Task<ModuleHost> StartClientAsync(
        SwarmSettings swarm, string bootstrap, LogCapture logs, SpanProtocol protocol, CancellationToken cancellationToken) =>
        SwarmClient.StartAsync(swarm, bootstrap, protocol, logs, openAi: false, cancellationToken);

    /// <summary>Waits until the client's DHT lists every node online.</summary>
    public static Task WaitForServersAsync(ModuleHost client, SwarmSettings swarm, IReadOnlyList<SwarmNode> nodes, CancellationToken cancellationToken) =>
        SwarmClient.WaitForServersAsync(client, swarm, nodes, StartTimeout, cancellationToken);

    public static async Task<List<int>> GenerateAsync(
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

    /// <summary>The same generation in one process, with every layer of the same file in one span.</summary>
    public static List<int> Reference(SwarmSettings swarm, GenerationRequest request)
    {
        using var file = GgufFile.Open(swarm.Settings["KwaaiNet:Inference:ModelPath"]!);
        var weights = new GgufLlamaWeights(file);
        using var client = new LlamaClientModel(weights);
        using var model = new SpanModel(weights, 0, weights.Config.LayerCount);
        using var sessions = new SpanSessionManager(model, Options.Create(new SpanSessionOptions()), TimeProvider.System);
        return [.. new LlamaGenerator(client, sessions).Generate(Prompt, request, TestContext.Current.CancellationToken)];
    }

    /// <summary>
    /// The same generation in one process, span by span at <paramref name="boundaries"/>, with the hidden states rounded
    /// to f16 wherever <c>/kwaai/inference/1.0.0</c> carries them: into each span and out of the last. Greedy sampling.
    /// </summary>
    public static List<int> ReferenceWithF16Hops(SwarmSettings swarm, GenerationRequest request, IReadOnlyList<int> boundaries)
    {
        var ct = TestContext.Current.CancellationToken;
        using var file = GgufFile.Open(swarm.Settings["KwaaiNet:Inference:ModelPath"]!);
        var weights = new GgufLlamaWeights(file);
        using var client = new LlamaClientModel(weights);
        int[] edges = [0, .. boundaries, weights.Config.LayerCount];
        List<(SpanModel Model, SpanSessionManager Sessions, SpanSession Session)> spans = [];
        try
        {
            for (var i = 0; i + 1 < edges.Length; i++)
            {
                var model = new SpanModel(weights, edges[i], edges[i + 1]);
                var sessions = new SpanSessionManager(model, Options.Create(new SpanSessionOptions()), TimeProvider.System);
                spans.Add((model, sessions, sessions.Open(Prompt.Length + request.MaxNewTokens)));
            }

            var hiddenSize = weights.Config.HiddenSize;
            var sampler = new TokenSampler(request.Sampling);
            List<int> history = [.. Prompt];
            List<int> generated = [];
            var fed = 0;
            while (generated.Count < request.MaxNewTokens)
            {
                var count = history.Count - fed;
                var hidden = client.Embed(CollectionsMarshal.AsSpan(history)[fed..]);
                foreach (var (_, sessions, session) in spans)
                {
                    hidden = sessions.Step(session, ToF16(hidden), count, ct);
                }

                var logits = client.Logits(ToF16(hidden).AsSpan((count - 1) * hiddenSize, hiddenSize));
                var id = sampler.Next(logits, CollectionsMarshal.AsSpan(history));
                fed = history.Count;
                history.Add(id);
                generated.Add(id);
            }

            return generated;
        }
        finally
        {
            foreach (var (model, sessions, session) in spans)
            {
                sessions.Close(session);
                sessions.Dispose();
                model.Dispose();
            }
        }
    }

    /// <summary>The tokens as text, for the test output.</summary>
    public static string Describe(IReadOnlyList<int> tokens) => string.Join(' ', tokens.Select(static t => t.ToString(CultureInfo.InvariantCulture)));

    private static float[] ToF16(float[] values) => KwaaiInferenceCodec.DecodeFloat16(KwaaiInferenceCodec.EncodeFloat16(values));
}
