// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Grpc.Core;
using KwaaiNet.Contracts.Inference.V1;
using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Tests.EndToEnd;
using KwaaiNet.Inference.Tests.Gguf;
using KwaaiNet.Inference.Tokenization;

namespace KwaaiNet.Inference.Tests.Hosting;

/// <summary>The worker's Generate call on a worker holding the whole tiny model.</summary>
public sealed class InferenceWorkerGenerateTests : IDisposable
{
    private static readonly int[] Prompt = [1, 72, 101, 108, 108, 111, 33];
    private readonly TempFolder _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task Generate_GreedyFromTokenIds_EqualsLlamaCppGreedyTokens()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await TinyWorker.StartAsync(_home.Path, 0, 2, ct);
        const int NewTokens = 12;
        var expected = LlamaCppGreedy.Run(TinyWorker.ModelPath(_home.Path), TinyWorker.Config, Prompt, decodeSteps: NewTokens - 1).Tokens;

        var responses = await GenerateAsync(worker, new GenerateRequest { PromptTokenIds = { Prompt }, MaxNewTokens = NewTokens, Temperature = 0 }, ct);

        // The tiny model's end-of-sequence token (2) would end the generation early; it is not in this sequence.
        Assert.DoesNotContain(2, expected);
        Assert.Equal(expected, responses.Select(static r => r.TokenId));
        Assert.Equal(Enumerable.Range(1, NewTokens), responses.Select(static r => r.CompletionTokens));
        Assert.All(responses, static r => Assert.Equal(Prompt.Length, r.PromptTokens));
        Assert.All(responses[..^1], static r => Assert.Equal(FinishReason.Unspecified, r.FinishReason));
        Assert.Equal(FinishReason.Length, responses[^1].FinishReason);
        Assert.Equal(0, (await worker.Client.InfoAsync(new InfoRequest(), cancellationToken: ct)).OpenSessions);
    }

    [Fact]
    public async Task Generate_TextPrompt_StreamsTextThatJoinsToTheDecodedTokens()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await TinyWorker.StartAsync(_home.Path, 0, 2, ct);
        var tokenizer = Tokenizer();

        var responses = await GenerateAsync(worker, new GenerateRequest { Prompt = "Hello!", MaxNewTokens = 10, Seed = 4 }, ct);

        var ids = responses.Where(static r => r.HasTokenId).Select(static r => r.TokenId).ToList();
        Assert.Equal(tokenizer.Encode("Hello!", addBos: true).Count, responses[0].PromptTokens);
        Assert.Equal(tokenizer.Decode(ids), string.Concat(responses.Select(static r => r.Text)));
        Assert.NotEqual(FinishReason.Unspecified, responses[^1].FinishReason);
    }

    [Fact]
    public async Task Generate_ChatMessages_AreRenderedWithTheModelsTemplate()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await TinyWorker.StartAsync(_home.Path, 0, 2, ct);
        var tokenizer = Tokenizer();
        var vocabulary = Vocabulary();
        var chat = ChatTemplate.Detect(vocabulary.ChatTemplate, vocabulary);
        var rendered = chat.Render([new KwaaiNet.Inference.Tokenization.ChatMessage("user", "Hi")], addGenerationPrompt: true);

        var responses = await GenerateAsync(
            worker,
            new GenerateRequest { Messages = { new Contracts.Inference.V1.ChatMessage { Role = "user", Content = "Hi" } }, MaxNewTokens = 2, Temperature = 0 },
            ct);

        Assert.Equal(tokenizer.Encode(rendered, addBos: !chat.RendersBos).Count, responses[0].PromptTokens);
    }

    [Fact]
    public async Task Generate_SameSeed_SameTokens()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await TinyWorker.StartAsync(_home.Path, 0, 2, ct);
        GenerateRequest Request(ulong seed) => new() { PromptTokenIds = { Prompt }, MaxNewTokens = 16, Temperature = 1.5f, TopK = 50, TopP = 0.95f, RepetitionPenalty = 1.1f, Seed = seed };

        var first = await GenerateAsync(worker, Request(11), ct);
        var again = await GenerateAsync(worker, Request(11), ct);
        var other = await GenerateAsync(worker, Request(12), ct);

        Assert.Equal(first.Select(static r => r.TokenId), again.Select(static r => r.TokenId));
        Assert.NotEqual(first.Select(static r => r.TokenId), other.Select(static r => r.TokenId));
    }

    [Fact]
    public async Task Generate_OnAWorkerWithPartOfTheModel_IsAFailedPreconditionSayingWhy()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await TinyWorker.StartAsync(_home.Path, 0, 1, ct);

        var error = await TinyWorker.FailsAsync(() => GenerateAsync(worker, new GenerateRequest { PromptTokenIds = { Prompt } }, ct));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("needs every block (start_block 0, blocks 2)", error.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("no prompt", "exactly one of prompt")]
    [InlineData("two prompts", "exactly one of prompt")]
    [InlineData("id outside the vocabulary", "outside the vocabulary")]
    [InlineData("negative temperature", "Temperature")]
    [InlineData("top_p zero", "TopP")]
    [InlineData("negative top_k", "TopK")]
    [InlineData("too many tokens", "at most 121 new ones fit")]
    [InlineData("text far too long", "at most 8192 characters are accepted")]
    public async Task Generate_BadRequests_AreInvalidArguments(string defect, string expected)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await TinyWorker.StartAsync(_home.Path, 0, 2, ct);
        var request = new GenerateRequest { PromptTokenIds = { Prompt }, MaxNewTokens = 4 };
        switch (defect)
        {
            case "no prompt":
                request.PromptTokenIds.Clear();
                break;
            case "two prompts":
                request.Prompt = "Hi";
                break;
            case "id outside the vocabulary":
                request.PromptTokenIds.Add(TinyWorker.Config.VocabSize);
                break;
            case "negative temperature":
                request.Temperature = -1;
                break;
            case "top_p zero":
                request.TopP = 0;
                break;
            case "negative top_k":
                request.TopK = -3;
                break;
            case "text far too long":
                request.PromptTokenIds.Clear();
                request.Prompt = new string('a', 9000);
                break;
            default:
                request.MaxNewTokens = 1000;
                break;
        }

        var error = await TinyWorker.FailsAsync(() => GenerateAsync(worker, request, ct));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(expected, error.Status.Detail, StringComparison.Ordinal);
    }

    private static async Task<List<GenerateResponse>> GenerateAsync(TinyWorker worker, GenerateRequest request, CancellationToken ct)
    {
        using var call = worker.Client.Generate(request, cancellationToken: ct);
        List<GenerateResponse> responses = [];
        while (await call.ResponseStream.MoveNext(ct))
        {
            responses.Add(call.ResponseStream.Current);
        }

        return responses;
    }

    private GgufVocabulary Vocabulary()
    {
        using var file = GgufFile.Open(TinyWorker.ModelPath(_home.Path));
        return LlamaGguf.ReadVocabulary(file);
    }

    private ITextTokenizer Tokenizer() => TextTokenizer.FromVocabulary(Vocabulary());
}
