// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using KwaaiNet.Inference.Tests.Hosting;
using Microsoft.AspNetCore.Builder;
using OpenAI;
using V1 = KwaaiNet.Contracts.Inference.V1;

namespace KwaaiNet.Inference.Tests.OpenAi;

/// <summary>A worker holding the whole tiny model, with the official OpenAI client pointed at its <c>/v1</c> API.</summary>
internal sealed class OpenAiWorker : IAsyncDisposable
{
    private OpenAiWorker(TinyWorker worker) => Worker = worker;

    public TinyWorker Worker { get; }

    public HttpClient Http => Worker.Host.Http;

    /// <summary>Starts a worker for every block of the tiny model in <paramref name="home"/>, ready to generate.</summary>
    public static async Task<OpenAiWorker> StartAsync(
        string home,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string?>? settings = null,
        bool waitUntilReady = true,
        Action<WebApplicationBuilder>? add = null)
    {
        var all = new Dictionary<string, string?> { ["KwaaiNet:Inference:MeasureThroughput"] = "false" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        return new OpenAiWorker(await TinyWorker.StartAsync(home, 0, 2, cancellationToken, all, add, waitUntilReady));
    }

    /// <summary>The OpenAI client, with retries off so that each call is one request.</summary>
    public OpenAIClient Client(string apiKey = "sk-any") => new(
        new ApiKeyCredential(apiKey),
        new OpenAIClientOptions
        {
            Endpoint = new Uri(Http.BaseAddress!, "v1"),
            Transport = new HttpClientPipelineTransport(Http),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });

    /// <summary>What the worker's gRPC Generate streams greedily for the same prompt: the text, token counts and finish reason.</summary>
    public async Task<(string Text, int PromptTokens, int CompletionTokens, V1.FinishReason FinishReason)> GenerateGreedyAsync(
        V1.GenerateRequest request, CancellationToken cancellationToken)
    {
        request.Temperature = 0;
        using var call = Worker.Client.Generate(request, cancellationToken: cancellationToken);
        List<V1.GenerateResponse> responses = [];
        while (await call.ResponseStream.MoveNext(cancellationToken))
        {
            responses.Add(call.ResponseStream.Current);
        }

        return (string.Concat(responses.Select(static r => r.Text)), responses[0].PromptTokens, responses[^1].CompletionTokens, responses[^1].FinishReason);
    }

    /// <summary>Posts a raw body to <paramref name="path"/>.</summary>
    public async Task<HttpResponseMessage> PostAsync(string path, string body, CancellationToken cancellationToken, string? apiKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        if (apiKey is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        }

        return await Http.SendAsync(request, cancellationToken);
    }

    /// <summary>
    /// Checks that <paramref name="body"/> is an error in OpenAI's shape, <c>{"error": {"message", "type", "param",
    /// "code"}}</c>, with the given type, code and param.
    /// </summary>
    public static void AssertError(string body, string type, string? code, string? param = null)
    {
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        Assert.Equal(["error"], root.EnumerateObject().Select(static p => p.Name));
        var error = root.GetProperty("error");
        Assert.Equal(["message", "type", "param", "code"], error.EnumerateObject().Select(static p => p.Name));
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal(type, error.GetProperty("type").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        if (param is not null)
        {
            Assert.Equal(param, error.GetProperty("param").GetString());
        }
    }

    /// <summary>The body of the response a client call failed with.</summary>
    public static string Body(ClientResultException exception) => exception.GetRawResponse()!.Content.ToString();

    public ValueTask DisposeAsync() => Worker.DisposeAsync();
}
