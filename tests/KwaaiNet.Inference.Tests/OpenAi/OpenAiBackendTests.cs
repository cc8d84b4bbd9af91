// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.ClientModel;
using System.Net;
using System.Text.Json;
using KwaaiNet.Inference.OpenAi;
using KwaaiNet.Inference.Tests.Gguf;
using KwaaiNet.Inference.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;

namespace KwaaiNet.Inference.Tests.OpenAi;

/// <summary>The API over several registered backends: the worker's whole model and another one.</summary>
public sealed class OpenAiBackendTests : IDisposable
{
    private readonly TempFolder _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task Backends_SeveralRegistered_AllModelsListedAndEachRequestGoesToTheBackendOfItsModel()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await OpenAiWorker.StartAsync(
            _home.Path, ct, add: static b => b.Services.AddSingleton<ITextGenerationBackend>(new ScriptedBackend("network-model")));
        var client = worker.Client();

        var models = (await client.GetOpenAIModelClient().GetModelsAsync(ct)).Value;
        ChatCompletion network = await client.GetChatClient("network-model").CompleteChatAsync([new UserChatMessage("Hi")], cancellationToken: ct);
        ChatCompletion local = await client.GetChatClient(TinyWorker.ModelName).CompleteChatAsync(
            [new UserChatMessage("Hi")], new ChatCompletionOptions { MaxOutputTokenCount = 3 }, ct);

        Assert.Equal([TinyWorker.ModelName, "network-model"], models.Select(static m => m.Id));
        Assert.Equal("network", models[1].OwnedBy);
        Assert.Equal(ScriptedGenerator.Reply, network.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, network.FinishReason);
        Assert.Equal(("Hi".Length, ScriptedGenerator.Reply.Length), (network.Usage.InputTokenCount, network.Usage.OutputTokenCount));
        Assert.Equal(TinyWorker.ModelName, local.Model);
        Assert.NotEqual(ScriptedGenerator.Reply, local.Content.Count == 0 ? string.Empty : local.Content[0].Text);
    }

    [Fact]
    public async Task Backend_GenerationFails_Is500ServerErrorOrAnErrorEventThatEndsTheStream()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await OpenAiWorker.StartAsync(_home.Path, ct, add: static b =>
        {
            b.Services.AddSingleton<ITextGenerationBackend>(new ScriptedBackend("broken", failAfter: 0));
            b.Services.AddSingleton<ITextGenerationBackend>(new ScriptedBackend("breaks-later", failAfter: 4));
        });

        var error = await Assert.ThrowsAsync<ClientResultException>(
            () => worker.Client().GetChatClient("broken").CompleteChatAsync([new UserChatMessage("Hi")], cancellationToken: ct));
        using var stream = await worker.PostAsync(
            "/v1/chat/completions", """{"model":"breaks-later","messages":[{"role":"user","content":"Hi"}],"stream":true}""", ct);
        var events = (await stream.Content.ReadAsStringAsync(ct)).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(500, error.Status);
        OpenAiWorker.AssertError(OpenAiWorker.Body(error), "server_error", null);
        Assert.DoesNotContain("lost a server", OpenAiWorker.Body(error), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        Assert.Equal(ScriptedGenerator.Reply[..4], string.Concat(events[..^1].Select(static e => Content(e["data: ".Length..]))));
        Assert.DoesNotContain("data: [DONE]", events);
        OpenAiWorker.AssertError(events[^1]["data: ".Length..], "server_error", null);

        // The worker's own model is still served.
        ChatCompletion after = await worker.Client().GetChatClient(TinyWorker.ModelName).CompleteChatAsync(
            [new UserChatMessage("Hi")], new ChatCompletionOptions { MaxOutputTokenCount = 2 }, ct);
        Assert.Equal(TinyWorker.ModelName, after.Model);
    }

    private static string? Content(string chunk)
    {
        using var json = JsonDocument.Parse(chunk);
        return json.RootElement.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var content) ? content.GetString() : null;
    }
}
