// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Diagnostics;
using KwaaiNet.Inference.Generation;
using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Sessions;
using KwaaiNet.Petals.Client;
using KwaaiNet.Testing;
using KwaaiNet.Testing.Swarm;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenAI;
using OpenAI.Chat;
using TokenizerChatMessage = KwaaiNet.Inference.Tokenization.ChatMessage;

namespace KwaaiNet.Swarm.Tests;

/// <summary>
/// The OpenAI-compatible API of a client node over three servers each holding a third of the model: the official OpenAI
/// client lists the network's model and streams a greedy chat completion equal to single-process generation, and one
/// generation is one trace: the client's generation, its hop steps and every server step share one trace id, each
/// server step parented by the client's hop step that called it.
/// </summary>
public sealed class SwarmOpenAiTests(ITestOutputHelper output)
{
    private const int Layers = 6;
    private const int MaxTokens = 12;
    private const string Hello = "Hello!";
    private const string ClientSource = "KwaaiNet.Petals.Client";
    private const string ServerSource = "KwaaiNet.Petals.Server";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task ThreeNodes_OpenAiChatThroughTheNetwork_EqualsSingleProcessInOneTrace()
    {
        var ct = TestContext.Current.CancellationToken;
        using var swarm = new SwarmSettings(
            Layers, renewalPeriod: TimeSpan.FromSeconds(10), recordTtl: TimeSpan.FromSeconds(30), crawlPeriod: TimeSpan.FromSeconds(5));
        await using var first = await SwarmNode.StartAsync("api-1", swarm, startBlock: 0, blocks: 2, bootstrap: null, ct);
        await using var second = await SwarmNode.StartAsync("api-2", swarm, startBlock: 2, blocks: 2, first.Address, ct);
        await using var third = await SwarmNode.StartAsync("api-3", swarm, startBlock: 4, blocks: 2, first.Address, ct);
        await using var client = await SwarmClient.StartAsync(swarm, first.Address, SpanProtocol.Petals, logs: null, openAi: true, ct);
        var backend = client.App.Services.GetRequiredService<NetworkTextGenerationBackend>();
        await Poll.UntilAsync(
            _ => Task.FromResult(backend.Models),
            static models => models is [{ IsReady: true }],
            StartTimeout,
            ct);
        var openAi = OpenAiClient(client.Http);

        var models = (await openAi.GetOpenAIModelClient().GetModelsAsync(ct)).Value;
        var text = new List<string>();
        await foreach (var update in openAi.GetChatClient(SwarmSettings.Model).CompleteChatStreamingAsync(
            [new UserChatMessage(Hello)], new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = MaxTokens }, ct))
        {
            text.AddRange(update.ContentUpdate.Select(static p => p.Text));
        }

        var model = Assert.Single(models, static m => m.Id == SwarmSettings.Model);
        Assert.Equal(NetworkTextGenerationBackend.Owner, model.OwnedBy);
        var expected = Reference(swarm);
        output.WriteLine(expected);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, string.Concat(text));

        // One generation, one trace.
        ConcurrentBag<Activity> stopped = [];
        using var listener = new ActivityListener
        {
            ShouldListenTo = static source => source.Name.StartsWith("KwaaiNet.", StringComparison.Ordinal),
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Add,
        };
        ActivitySource.AddActivityListener(listener);
        using var tests = new ActivitySource("KwaaiNet.Swarm.Tests");
        var generator = client.App.Services.GetRequiredService<DistributedGenerator>();
        ActivityTraceId trace;
        using (var root = tests.StartActivity("one generation"))
        {
            Assert.NotNull(root);
            trace = root.TraceId;
            await foreach (var _ in generator.GenerateAsync([1, 72, 101, 108, 108, 111, 33], new GenerationRequest { MaxNewTokens = 4 }, ct))
            {
            }
        }

        var generation = Assert.Single(stopped, a => a.TraceId == trace && a.Source.Name == ClientSource && a.OperationName == "generate");
        var hops = stopped.Where(a => a.TraceId == trace && a.Source.Name == ClientSource && a.OperationName == "hop step").ToList();
        Assert.Equal(4 * 3, hops.Count);
        Assert.All(hops, h => Assert.Equal(generation.SpanId, h.ParentSpanId));
        var serverSteps = await Poll.UntilAsync(
            _ => Task.FromResult(stopped.Where(a => a.TraceId == trace && a.Source.Name == ServerSource).ToList()),
            steps => steps.Count >= hops.Count,
            TimeSpan.FromSeconds(30),
            ct);
        Assert.Equal(hops.Count, serverSteps.Count);
        List<string> hopIds = [.. hops.Select(static h => h.SpanId.ToHexString()).Order()];
        List<string> serverParents = [.. serverSteps.Select(static s => s.ParentSpanId.ToHexString()).Order()];
        Assert.Equal(hopIds, serverParents);
    }

    private static OpenAIClient OpenAiClient(HttpClient http) => new(
        new ApiKeyCredential("sk-any"),
        new OpenAIClientOptions
        {
            Endpoint = new Uri(http.BaseAddress!, "v1"),
            Transport = new HttpClientPipelineTransport(http),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });

    /// <summary>The same chat in one process, every layer of the same file, rendered with the same chat format.</summary>
    private static string Reference(SwarmSettings swarm)
    {
        var path = swarm.Settings["KwaaiNet:Inference:ModelPath"]!;
        using var parts = LocalModelParts.Load(path);
        var format = parts.Format!;
        var prompt = format.EncodeChat([new TokenizerChatMessage("user", Hello)]);
        using var file = GgufFile.Open(path);
        var weights = new GgufLlamaWeights(file);
        using var client = new LlamaClientModel(weights);
        using var model = new SpanModel(weights, 0, weights.Config.LayerCount);
        using var sessions = new SpanSessionManager(model, Options.Create(new SpanSessionOptions()), TimeProvider.System);
        var ids = new LlamaGenerator(client, sessions).Generate(
            prompt, new GenerationRequest { MaxNewTokens = MaxTokens, StopTokenIds = format.StopTokenIds }, TestContext.Current.CancellationToken);
        return format.Decode([.. ids.Where(id => !format.StopTokenIds.Contains(id))]);
    }
}
