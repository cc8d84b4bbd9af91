// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.ClientModel;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using KwaaiNet.Inference.OpenAi;
using KwaaiNet.Inference.Tests.Gguf;
using KwaaiNet.Inference.Tests.Hosting;
using OpenAI.Chat;
using V1 = KwaaiNet.Contracts.Inference.V1;

namespace KwaaiNet.Inference.Tests.OpenAi;

/// <summary>The OpenAI-compatible API of a worker holding the whole tiny model, driven by the official OpenAI client.</summary>
public sealed class OpenAiApiTests : IDisposable
{
    private const string Model = TinyWorker.ModelName;
    private const string Hello = "Hello!";
    private readonly TempFolder _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task ChatStreaming_Greedy_EqualsTheWorkersGenerate()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await OpenAiWorker.StartAsync(_home.Path, ct);
        const int MaxTokens = 12;
        var expected = await worker.GenerateGreedyAsync(Chat(Hello, MaxTokens), ct);
        var chat = worker.Client().GetChatClient(Model);

        List<StreamingChatCompletionUpdate> updates = [];
        await foreach (var update in chat.CompleteChatStreamingAsync(
            [new UserChatMessage(Hello)], new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = MaxTokens }, ct))
        {
            updates.Add(update);
        }

        var text = string.Concat(updates.SelectMany(static u => u.ContentUpdate).Select(static p => p.Text));
        Assert.NotEmpty(expected.Text);
        Assert.Equal(expected.Text, text);
        Assert.True(updates.Count(static u => u.ContentUpdate.Count > 0) > 1, "the text came in several chunks");
        Assert.Equal(Reason(expected.FinishReason), updates.Single(static u => u.FinishReason is not null).FinishReason);
        Assert.All(updates, static u => Assert.Equal(Model, u.Model));
    }

    [Fact]
    public async Task ChatStreaming_IncludeUsage_EndsWithAUsageChunkAndDone()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await OpenAiWorker.StartAsync(_home.Path, ct);
        var expected = await worker.GenerateGreedyAsync(Chat(Hello, 5), ct);

        using var response = await worker.PostAsync(
            "/v1/chat/completions",
            """{"model":"tiny","messages":[{"role":"user","content":"Hello!"}],"max_tokens":5,"temperature":0,"stream":true,"stream_options":{"include_usage":true}}""",
            ct);
        var events = (await response.Content.ReadAsStringAsync(ct)).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.All(events, static e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        Assert.Equal("data: [DONE]", events[^1]);
        using var usage = JsonDocument.Parse(events[^2]["data: ".Length..]);
        Assert.Equal("chat.completion.chunk", usage.RootElement.GetProperty("object").GetString());
        Assert.Equal(0, usage.RootElement.GetProperty("choices").GetArrayLength());
        var counts = usage.RootElement.GetProperty("usage");
        Assert.Equal(expected.PromptTokens, counts.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(expected.CompletionTokens, counts.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(expected.PromptTokens + expected.CompletionTokens, counts.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Chat_NonStreaming_ReturnsTheMessageUsageAndFinishReason()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await OpenAiWorker.StartAsync(_home.Path, ct);
        const int MaxTokens = 8;
        var expected = await worker.GenerateGreedyAsync(Chat(Hello, MaxTokens), ct);

        ChatCompletion completion = await worker.Client().GetChatClient(Model).CompleteChatAsync(
            [new UserChatMessage(Hello)], new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = MaxTokens }, ct);

        Assert.Equal(expected.Text, completion.Content[0].Text);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.Equal(Reason(expected.FinishReason), completion.FinishReason);
        Assert.Equal(expected.PromptTokens, completion.Usage.InputTokenCount);
        Assert.Equal(expected.CompletionTokens, completion.Usage.OutputTokenCount);
        Assert.Equal(Model, completion.Model);
        Assert.StartsWith("chatcmpl-", completion.Id, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_StopSequence_EndsTheTextBeforeIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await OpenAiWorker.StartAsync(_home.Path, ct);
        var expected = await worker.GenerateGreedyAsync(Chat(Hello, 12), ct);
        Assert.True(expected.Text.Length >= 4, $"the greedy text '{expected.Text}' is long enough to cut");
        var stop = expected.Text.Substring(expected.Text.Length / 2, 2);
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 12 };
        options.StopSequences.Add(stop);

        ChatCompletion completion = await worker.Client().GetChatClient(Model).CompleteChatAsync([new UserChatMessage(Hello)], options, ct);
        var streamed = new System.Text.StringBuilder();
        await foreach (var update in worker.Client().GetChatClient(Model).CompleteChatStreamingAsync([new UserChatMessage(Hello)], options, ct))
        {
            streamed.AppendJoin(string.Empty, update.ContentUpdate.Select(static p => p.Text));
        }

        var cut = expected.Text[..expected.Text.IndexOf(stop, StringComparison.Ordinal)];
        Assert.Equal(cut, completion.Content.Count == 0 ? string.Empty : completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(cut, streamed.ToString());
    }

    [Fact]
    public async Task Completions_NonStreamingAndStreaming_EqualTheWorkersGenerate()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await OpenAiWorker.StartAsync(_home.Path, ct);
        var expected = await worker.GenerateGreedyAsync(new V1.GenerateRequest { Prompt = Hello, MaxNewTokens = 10 }, ct);

        using var whole = await worker.PostAsync("/v1/completions", """{"model":"tiny","prompt":"Hello!","max_tokens":10,"temperature":0}""", ct);
        using var json = JsonDocument.Parse(await whole.Content.ReadAsStringAsync(ct));
        using var stream = await worker.PostAsync("/v1/completions", """{"model":"tiny","prompt":["Hello!"],"max_tokens":10,"temperature":0,"stream":true}""", ct);
        var events = (await stream.Content.ReadAsStringAsync(ct)).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        var root = json.RootElement;
        Assert.Equal("text_completion", root.GetProperty("object").GetString());
        Assert.Equal(Model, root.GetProperty("model").GetString());
        var choice = root.GetProperty("choices")[0];
        Assert.Equal(expected.Text, choice.GetProperty("text").GetString());
        Assert.Equal(Reason(expected.FinishReason).ToString().ToLowerInvariant(), choice.GetProperty("finish_reason").GetString());
        Assert.Equal(expected.PromptTokens, root.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(expected.CompletionTokens, root.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(static e => JsonDocument.Parse(e["data: ".Length..])).ToList();
        Assert.Equal(expected.Text, string.Concat(chunks.Select(static c => c.RootElement.GetProperty("choices")[0].GetProperty("text").GetString())));
        Assert.Equal(
            Reason(expected.FinishReason).ToString().ToLowerInvariant(),
            chunks[^1].RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        chunks.ForEach(static c => c.Dispose());
    }

    [Fact]
    public async Task Models_ListsAndGetsTheWholeModel()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await OpenAiWorker.StartAsync(_home.Path, ct);
        var models = worker.Client().GetOpenAIModelClient();

        var list = (await models.GetModelsAsync(ct)).Value;
        var one = (await models.GetModelAsync(Model, ct)).Value;
        var missing = await Assert.ThrowsAsync<ClientResultException>(() => models.GetModelAsync("no-such-model", ct));
        using var raw = JsonDocument.Parse(await worker.Http.GetStringAsync(new Uri("/v1/models", UriKind.Relative), ct));

        Assert.Equal([Model], list.Select(static m => m.Id));
        Assert.Equal((Model, LocalTextGenerationBackend.Owner), (one.Id, one.OwnedBy));
        Assert.Equal(404, missing.Status);
        OpenAiWorker.AssertError(OpenAiWorker.Body(missing), "invalid_request_error", "model_not_found");
        Assert.Equal("list", raw.RootElement.GetProperty("object").GetString());
        var model = raw.RootElement.GetProperty("data")[0];
        Assert.Equal("model", model.GetProperty("object").GetString());
        Assert.Equal(128, model.GetProperty("context_length").GetInt32());
    }

    [Fact]
    public async Task Chat_UnknownModel_Is404ModelNotFound()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await OpenAiWorker.StartAsync(_home.Path, ct);

        var error = await Assert.ThrowsAsync<ClientResultException>(
            () => worker.Client().GetChatClient("gpt-4o").CompleteChatAsync([new UserChatMessage(Hello)], cancellationToken: ct));

        Assert.Equal(404, error.Status);
        OpenAiWorker.AssertError(OpenAiWorker.Body(error), "invalid_request_error", "model_not_found", "model");
    }

    [Theory]
    [InlineData("prompt longer than the context", "messages")]
    [InlineData("prompt text far longer than the context", "messages")]
    [InlineData("completion longer than the room left", "max_completion_tokens")]
    public async Task Chat_PromptAndCompletionPastTheContext_Is400ContextLengthExceeded(string defect, string param)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await OpenAiWorker.StartAsync(_home.Path, ct);
        var (prompt, maxTokens) = defect switch
        {
            "prompt longer than the context" => (string.Concat(Enumerable.Repeat("Hello! ", 100)), 4),
            "prompt text far longer than the context" => (new string('a', 9000), 4),
            _ => (Hello, 1000),
        };

        var error = await Assert.ThrowsAsync<ClientResultException>(() => worker.Client().GetChatClient(Model).CompleteChatAsync(
            [new UserChatMessage(prompt)], new ChatCompletionOptions { MaxOutputTokenCount = maxTokens }, ct));

        Assert.Equal(400, error.Status);
        OpenAiWorker.AssertError(OpenAiWorker.Body(error), "invalid_request_error", "context_length_exceeded", param);
        Assert.Contains("maximum context length is 128 tokens", OpenAiWorker.Body(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_BodyOverTheLimit_Is413BeforeParsing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await OpenAiWorker.StartAsync(_home.Path, ct, new Dictionary<string, string?> { ["KwaaiNet:OpenAi:MaxRequestBytes"] = "2048" });

        var error = await Assert.ThrowsAsync<ClientResultException>(() => worker.Client().GetChatClient(Model).CompleteChatAsync(
            [new UserChatMessage(new string('a', 3000))], cancellationToken: ct));
        using var chunked = await worker.PostAsync("/v1/chat/completions", "{\"model\":\"tiny\",\"x\":\"" + new string('b', 5000) + "\"}", ct);

        Assert.Equal(413, error.Status);
        OpenAiWorker.AssertError(OpenAiWorker.Body(error), "invalid_request_error", "request_too_large");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunked.StatusCode);
    }

    [Theory]
    [InlineData("{\"model\": \"tiny\", \"messages\": [", "invalid_json", null)]
    [InlineData("not json at all", "invalid_json", null)]
    [InlineData("{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": \"hot\"}", "invalid_json", "temperature")]
    [InlineData("{\"model\": \"tiny\"}", "missing_required_parameter", "messages")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", "missing_required_parameter", "model")]
    [InlineData("{\"model\": \"tiny\", \"messages\": []}", "empty_array", "messages")]
    [InlineData("{\"model\": \"tiny\", \"messages\": [{\"role\": \"tool\", \"content\": \"hi\"}]}", null, "messages[0].role")]
    [InlineData("{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]}", null, "messages[0].content")]
    [InlineData("{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": 3}", null, "temperature")]
    [InlineData("{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 0}", null, "max_tokens")]
    [InlineData("{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stop\": 7}", null, "stop")]
    [InlineData("{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"n\": 2}", null, "n")]
    public async Task Chat_BadBody_Is400InvalidRequest(string body, string? code, string? param)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await OpenAiWorker.StartAsync(_home.Path, ct);

        var error = await Assert.ThrowsAsync<ClientResultException>(
            () => worker.Client().GetChatClient(Model).CompleteChatAsync(BinaryContent.Create(BinaryData.FromString(body))));

        Assert.Equal(400, error.Status);
        OpenAiWorker.AssertError(OpenAiWorker.Body(error), "invalid_request_error", code, param);

        // The worker goes on serving.
        ChatCompletion after = await worker.Client().GetChatClient(Model).CompleteChatAsync(
            [new UserChatMessage(Hello)], new ChatCompletionOptions { MaxOutputTokenCount = 2 }, ct);
        Assert.Equal(Model, after.Model);
    }

    [Fact]
    public async Task ApiKeys_WrongOrMissingKey_Is401AndTheRightKeyIsServed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await OpenAiWorker.StartAsync(_home.Path, ct, new Dictionary<string, string?>
        {
            ["KwaaiNet:OpenAi:ApiKeys:0"] = "sk-first",
            ["KwaaiNet:OpenAi:ApiKeys:1"] = "sk-second",
        });

        var wrong = await Assert.ThrowsAsync<ClientResultException>(
            () => worker.Client("sk-firs").GetChatClient(Model).CompleteChatAsync([new UserChatMessage(Hello)], cancellationToken: ct));
        var prefix = await Assert.ThrowsAsync<ClientResultException>(() => worker.Client("sk-first-and-more").GetOpenAIModelClient().GetModelsAsync(ct));
        using var none = await worker.PostAsync("/v1/chat/completions", """{"model":"tiny","messages":[{"role":"user","content":"hi"}]}""", ct);
        var models = await worker.Client("sk-second").GetOpenAIModelClient().GetModelsAsync(ct);

        Assert.Equal(401, wrong.Status);
        OpenAiWorker.AssertError(OpenAiWorker.Body(wrong), "invalid_request_error", "invalid_api_key");
        Assert.DoesNotContain("sk-firs", OpenAiWorker.Body(wrong), StringComparison.Ordinal);
        Assert.Equal(401, prefix.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        OpenAiWorker.AssertError(await none.Content.ReadAsStringAsync(ct), "invalid_request_error", "invalid_api_key");
        Assert.Equal([Model], models.Value.Select(static m => m.Id));
    }

    [Fact]
    public async Task RateLimit_PastTheRequestsPerMinuteOfAKey_Is429AndOtherKeysAreServed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await OpenAiWorker.StartAsync(_home.Path, ct, new Dictionary<string, string?>
        {
            ["KwaaiNet:OpenAi:ApiKeys:0"] = "sk-busy",
            ["KwaaiNet:OpenAi:ApiKeys:1"] = "sk-quiet",
            ["KwaaiNet:OpenAi:RequestsPerMinute"] = "2",
        });
        var busy = worker.Client("sk-busy").GetOpenAIModelClient();

        // Five requests span at most two one-minute windows, so at most four are let through.
        List<int> statuses = [];
        ClientResultException? limited = null;
        for (var i = 0; i < 5; i++)
        {
            try
            {
                await busy.GetModelsAsync(ct);
                statuses.Add(200);
            }
            catch (ClientResultException e)
            {
                statuses.Add(e.Status);
                limited ??= e;
            }
        }

        var quiet = await worker.Client("sk-quiet").GetOpenAIModelClient().GetModelsAsync(ct);

        Assert.Equal(200, statuses[0]);
        Assert.All(statuses, static s => Assert.True(s is 200 or 429, $"status {s}"));
        Assert.NotNull(limited);
        Assert.Equal(429, limited.Status);
        OpenAiWorker.AssertError(OpenAiWorker.Body(limited), "requests", "rate_limit_exceeded");
        Assert.True(limited.GetRawResponse()!.Headers.TryGetValue("Retry-After", out var retryAfter));
        Assert.InRange(int.Parse(retryAfter!, System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal(200, quiet.GetRawResponse().Status);
    }

    [Fact]
    public async Task Chat_WorkerWaitingForASpan_Is503AndTheModelIsListed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await OpenAiWorker.StartAsync(
            _home.Path, ct, new Dictionary<string, string?> { ["KwaaiNet:Node:start_block"] = null }, waitUntilReady: false);
        await worker.Worker.WaitForAsync(static i => i.StateDetail.Contains("waiting for a span", StringComparison.Ordinal), ct);

        var error = await Assert.ThrowsAsync<ClientResultException>(
            () => worker.Client().GetChatClient(Model).CompleteChatAsync([new UserChatMessage(Hello)], cancellationToken: ct));
        var models = await worker.Client().GetOpenAIModelClient().GetModelsAsync(ct);

        Assert.Equal(503, error.Status);
        OpenAiWorker.AssertError(OpenAiWorker.Body(error), "server_error", "model_not_ready", "model");
        Assert.Contains("waiting for a span", OpenAiWorker.Body(error), StringComparison.Ordinal);
        Assert.Equal([Model], models.Value.Select(static m => m.Id));
    }

    [Fact]
    public async Task UnknownPath_Is404InOpenAiShape()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await OpenAiWorker.StartAsync(_home.Path, ct);

        using var response = await worker.PostAsync("/v1/embeddings", """{"model":"tiny","input":"hi"}""", ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        OpenAiWorker.AssertError(await response.Content.ReadAsStringAsync(ct), "invalid_request_error", "unknown_url");
    }

    [Fact]
    public async Task Chat_RecordsAnActivityWithTheModelAndTokenCounts()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await OpenAiWorker.StartAsync(_home.Path, ct);
        List<Activity> activities = [];
        using var listener = new ActivityListener
        {
            ShouldListenTo = static source => source.Name == OpenAiApi.ActivitySourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (activities)
                {
                    activities.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        ChatCompletion completion = await worker.Client().GetChatClient(Model).CompleteChatAsync(
            [new UserChatMessage(Hello)], new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 3 }, ct);

        Activity chat;
        lock (activities)
        {
            chat = Assert.Single(activities, static a => a.OperationName == "chat");
        }

        Assert.Equal(Model, chat.GetTagItem("gen_ai.request.model"));
        Assert.Equal(completion.Usage.InputTokenCount, chat.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(completion.Usage.OutputTokenCount, chat.GetTagItem("gen_ai.usage.output_tokens"));
    }

    private static V1.GenerateRequest Chat(string user, int maxNewTokens) =>
        new() { Messages = { new V1.ChatMessage { Role = "user", Content = user } }, MaxNewTokens = maxNewTokens };

    private static ChatFinishReason Reason(V1.FinishReason reason) => reason == V1.FinishReason.Stop ? ChatFinishReason.Stop : ChatFinishReason.Length;
}
