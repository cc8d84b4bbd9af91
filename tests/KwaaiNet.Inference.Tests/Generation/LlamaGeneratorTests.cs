// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Generation;
using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Sessions;
using KwaaiNet.Inference.Tests.EndToEnd;
using KwaaiNet.Inference.Tests.Gguf;
using KwaaiNet.Testing.Inference;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Inference.Tests.Generation;

/// <summary>
/// Whole-model generation on a generated F32 GGUF model (<see cref="TinyLlamaGguf"/>), greedy decoding checked against
/// llama.cpp's on the same file.
/// </summary>
public sealed class LlamaGeneratorTests : IDisposable
{
    private static readonly int[] Prompt = [1, 72, 101, 108, 108, 111, 33];

    private readonly TempFolder _temp = new();
    private readonly string _path;
    private readonly LlamaClientModel _client;
    private readonly SpanModel _model;
    private readonly SpanSessionManager _manager;
    private readonly LlamaGenerator _generator;

    public LlamaGeneratorTests()
    {
        _path = _temp.File("generator.gguf");
        TinyLlamaGguf.Write(_path, GgmlType.F32, seed: 5);
        using var file = GgufFile.Open(_path);
        var weights = new GgufLlamaWeights(file);
        _client = new LlamaClientModel(weights);
        _model = new SpanModel(weights, 0, weights.Config.LayerCount);
        _manager = new SpanSessionManager(
            _model, Options.Create(new SpanSessionOptions { IdleTimeout = Timeout.InfiniteTimeSpan }), TimeProvider.System);
        _generator = new LlamaGenerator(_client, _manager);
    }

    public void Dispose()
    {
        _manager.Dispose();
        _model.Dispose();
        _client.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task GenerateAsync_Greedy_EqualsLlamaCppGreedyTokens()
    {
        const int NewTokens = 17;
        var expected = LlamaCppGreedy.Run(_path, TinyLlamaGguf.Default, Prompt, decodeSteps: NewTokens - 1).Tokens;

        var tokens = await CollectAsync(new GenerationRequest { MaxNewTokens = NewTokens });

        Assert.Equal(expected, tokens.Select(static t => t.Id));
        Assert.Equal(Enumerable.Range(0, NewTokens), tokens.Select(static t => t.Index));
        Assert.All(tokens[..^1], static t => Assert.Null(t.FinishReason));
        Assert.Equal(GenerationFinishReason.Length, tokens[^1].FinishReason);
        Assert.True(tokens[^1].IsText);
        Assert.Equal(0, _manager.OpenSessionCount);
    }

    [Fact]
    public async Task Generate_Synchronous_StreamsTheSameIds()
    {
        var request = new GenerationRequest { MaxNewTokens = 9, Sampling = new SamplingOptions { Seed = 3, TopK = 20 } };

        var streamed = await CollectAsync(request);
        // Off the test's thread, as a tool would call it.
        var ids = await Task.Run(() => _generator.Generate(Prompt, request, TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);

        Assert.Equal(streamed.Select(static t => t.Id), ids);
        Assert.Equal(0, _manager.OpenSessionCount);
    }

    [Fact]
    public async Task GenerateAsync_StopToken_EndsWithItMarkedStop()
    {
        var greedy = (await CollectAsync(new GenerationRequest { MaxNewTokens = 17 })).Select(static t => t.Id).ToArray();
        // The first token, from the third on, that did not come earlier: generation must run up to it and stop there.
        var stopAt = Enumerable.Range(2, greedy.Length - 2).First(i => !greedy.AsSpan(0, i).Contains(greedy[i]));

        var tokens = await CollectAsync(new GenerationRequest { MaxNewTokens = 17, StopTokenIds = new HashSet<int> { greedy[stopAt], 100_000 } });

        Assert.Equal(greedy[..(stopAt + 1)], tokens.Select(static t => t.Id));
        Assert.Equal(GenerationFinishReason.Stop, tokens[^1].FinishReason);
        Assert.False(tokens[^1].IsText);
        Assert.All(tokens[..^1], static t => Assert.True(t.FinishReason is null && t.IsText));
        Assert.Equal(0, _manager.OpenSessionCount);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task GenerateAsync_MaxNewTokens_IsTheLength(int maxNewTokens)
    {
        var tokens = await CollectAsync(new GenerationRequest { MaxNewTokens = maxNewTokens, Sampling = new SamplingOptions { Seed = 1 } });

        Assert.Equal(maxNewTokens, tokens.Count);
        Assert.Equal(GenerationFinishReason.Length, tokens[^1].FinishReason);
    }

    [Fact]
    public async Task GenerateAsync_PromptFillsTheContext_RunsToTheLastPosition()
    {
        var max = _model.MaxSequenceLength;
        int[] prompt = [.. Enumerable.Range(0, max - 2).Select(static i => 3 + (i % 200))];

        var tokens = await CollectAsync(new GenerationRequest { MaxNewTokens = 2 }, prompt);

        Assert.Equal(2, tokens.Count);
        Assert.Equal(GenerationFinishReason.Length, tokens[^1].FinishReason);
    }

    [Fact]
    public async Task GenerateAsync_SameSeed_SameTokens_OtherSeed_OtherTokens()
    {
        async Task<int[]> SampledAsync(ulong seed) =>
            [.. (await CollectAsync(new GenerationRequest { MaxNewTokens = 24, Sampling = new SamplingOptions { Seed = seed, RepetitionPenalty = 1.1f } }))
                .Select(static t => t.Id)];

        var first = await SampledAsync(42);

        Assert.Equal(first, await SampledAsync(42));
        Assert.NotEqual(first, await SampledAsync(43));
    }

    [Fact]
    public async Task GenerateAsync_Cancelled_ThrowsAndClosesTheSession()
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var received = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var token in _generator.GenerateAsync(Prompt, new GenerationRequest { MaxNewTokens = 50 }, cancellation.Token))
            {
                Assert.Equal(1, _manager.OpenSessionCount);
                received++;
                await cancellation.CancelAsync();
            }
        });

        Assert.Equal(1, received);
        Assert.Equal(0, _manager.OpenSessionCount);
    }

    [Fact]
    public async Task GenerateAsync_Abandoned_ClosesTheSession()
    {
        await foreach (var token in _generator.GenerateAsync(Prompt, new GenerationRequest { MaxNewTokens = 50 }, TestContext.Current.CancellationToken))
        {
            Assert.Equal(0, token.Index);
            break;
        }

        Assert.Equal(0, _manager.OpenSessionCount);
    }

    [Fact]
    public async Task GenerateAsync_ConcurrentGenerations_EachGetTheirOwnTokens()
    {
        var alone = await CollectAsync(new GenerationRequest { MaxNewTokens = 12 });
        int[] otherPrompt = [1, 300 % 272, 5, 9];
        var otherAlone = await CollectAsync(new GenerationRequest { MaxNewTokens = 12 }, otherPrompt);

        var both = await Task.WhenAll(
            CollectAsync(new GenerationRequest { MaxNewTokens = 12 }),
            CollectAsync(new GenerationRequest { MaxNewTokens = 12 }, otherPrompt));

        Assert.Equal(alone, both[0]);
        Assert.Equal(otherAlone, both[1]);
        Assert.Equal(0, _manager.OpenSessionCount);
    }

    [Fact]
    public void GenerateAsync_TooLong_IsRejectedWithTheNumbersBeforeAnySession()
    {
        var error = Assert.Throws<ArgumentException>(
            () => _generator.GenerateAsync(Prompt, new GenerationRequest { MaxNewTokens = 122 }, TestContext.Current.CancellationToken));

        Assert.StartsWith("7 prompt tokens + 122 new tokens = 129, more than the 128 the model holds", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _manager.OpenSessionCount);
    }

    [Fact]
    public void GenerateAsync_BadPromptOrRequest_IsRejected()
    {
        var request = new GenerationRequest { MaxNewTokens = 4 };
        var token = TestContext.Current.CancellationToken;

        Assert.Equal("promptIds", Assert.Throws<ArgumentException>(() => _generator.GenerateAsync([], request, token)).ParamName);
        var outside = Assert.Throws<ArgumentOutOfRangeException>(() => _generator.GenerateAsync([1, 272], request, token));
        Assert.StartsWith("prompt token 1 is id 272, outside the vocabulary [0, 272)", outside.Message, StringComparison.Ordinal);
        Assert.Equal(
            nameof(GenerationRequest.MaxNewTokens),
            Assert.Throws<ArgumentOutOfRangeException>(() => _generator.GenerateAsync(Prompt, request with { MaxNewTokens = 0 }, token)).ParamName);
        Assert.Equal(
            nameof(SamplingOptions.TopP),
            Assert.Throws<ArgumentOutOfRangeException>(() => _generator.GenerateAsync(Prompt, request with { Sampling = new SamplingOptions { TopP = 0 } }, token)).ParamName);
    }

    [Fact]
    public void Constructor_SpanWithoutEveryLayer_IsRejected()
    {
        using var file = GgufFile.Open(_path);
        using var partial = new SpanModel(new GgufLlamaWeights(file), 0, 1);
        using var manager = new SpanSessionManager(partial, Options.Create(new SpanSessionOptions()), TimeProvider.System);

        var error = Assert.Throws<ArgumentException>(() => new LlamaGenerator(_client, manager));
        Assert.StartsWith("the span holds layers [0, 1); generating in one process needs every layer [0, 2)", error.Message, StringComparison.Ordinal);
    }

    private async Task<List<GeneratedToken>> CollectAsync(GenerationRequest request, int[]? prompt = null)
    {
        List<GeneratedToken> tokens = [];
        await foreach (var token in _generator.GenerateAsync(prompt ?? Prompt, request, TestContext.Current.CancellationToken))
        {
            tokens.Add(token);
        }

        return tokens;
    }
}
