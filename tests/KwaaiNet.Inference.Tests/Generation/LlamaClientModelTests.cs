// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Generation;
using KwaaiNet.Inference.Onnx;
using KwaaiNet.Inference.Tests.Onnx;

namespace KwaaiNet.Inference.Tests.Generation;

public sealed class LlamaClientModelTests
{
    private static readonly RandomLlamaWeights Weights = new(LlamaSpanGraphTests.Config(64, 4, 2, 10_000f), seed: 8);

    [Fact]
    public void Embed_Fp32_ReturnsTheTableRows()
    {
        using var client = new LlamaClientModel(Weights);
        int[] ids = [3, 47, 0, 3];

        var embeddings = client.Embed(ids);

        Assert.Equal(new LlamaReference(Weights).Embed([3, 47, 0, 3]), embeddings);
    }

    [Fact]
    public void EmbedAndLogits_Fp16_AreFp32CloseToTheReference()
    {
        using var client = new LlamaClientModel(Weights, LlamaGraphPrecision.Fp16);
        var reference = new LlamaReference(Weights);
        var hidden = OnnxAssert.Random(4, Weights.Config.HiddenSize);

        Assert.Equal(LlamaGraphPrecision.Fp16, client.Precision);
        OnnxAssert.Close(reference.Embed([5, 6]), client.Embed([5, 6]), 1e-3, 1e-3, "fp16 embeddings");
        OnnxAssert.Close(reference.Head(hidden), client.Logits(hidden), 2e-2, 1e-2, "fp16 logits");
    }

    [Fact]
    public void Logits_OneHiddenState_MatchesTheReferenceHead()
    {
        using var client = new LlamaClientModel(Weights);
        var hidden = OnnxAssert.Random(3, Weights.Config.HiddenSize);

        var logits = client.Logits(hidden);

        Assert.Equal(Weights.Config.VocabSize, logits.Length);
        OnnxAssert.Close(new LlamaReference(Weights).Head(hidden), logits, 1e-4, what: "logits");
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(48)]
    [InlineData(int.MaxValue)]
    public void Embed_IdOutsideTheVocabulary_IsRejectedWithTheId(int id)
    {
        using var client = new LlamaClientModel(Weights);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => client.Embed([1, 2, id]));
        Assert.Equal("tokenIds", error.ParamName);
        Assert.Equal(id, error.ActualValue);
        Assert.Contains($"token id {id} at position 2 is outside the vocabulary [0, 48)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Embed_NoIds_IsRejected()
    {
        using var client = new LlamaClientModel(Weights);

        Assert.Equal("tokenIds", Assert.Throws<ArgumentException>(() => client.Embed([])).ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(63)]
    [InlineData(128)]
    public void Logits_WrongHiddenLength_IsRejected(int length)
    {
        using var client = new LlamaClientModel(Weights);

        var error = Assert.Throws<ArgumentException>(() => client.Logits(new float[length]));
        Assert.Equal("hiddenState", error.ParamName);
        Assert.StartsWith($"a hidden state holds 64 values (the hidden size), not {length}", error.Message, StringComparison.Ordinal);
    }
}
