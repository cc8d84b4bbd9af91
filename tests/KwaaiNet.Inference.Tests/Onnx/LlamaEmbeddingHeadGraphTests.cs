// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace KwaaiNet.Inference.Tests.Onnx;

public sealed class LlamaEmbeddingHeadGraphTests
{
    private static readonly long[] Prompt = [3, 17, 0, 47, 17, 9];
    private static readonly long[] Continuation = [21, 5];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EmbeddingSpanHead_PromptThenDecode_GiveReferenceLogits(bool tiedHead)
    {
        var config = LlamaSpanGraphTests.Config(64, 4, 2, 500_000f);
        var weights = new RandomLlamaWeights(config, seed: 21, tiedHead: tiedHead);
        Assert.Equal(!tiedHead, weights.Contains("output.weight"));
        var reference = new LlamaReference(weights);
        var cache = new LlamaReference.Cache();
        using var embedding = new InferenceSession(LlamaEmbeddingGraph.Build(weights));
        using var head = new InferenceSession(LlamaHeadGraph.Build(weights));
        using var span = new SpanRunner(
            LlamaSpanGraph.Build(weights, 0, config.LayerCount), config, 0, config.LayerCount, LlamaGraphPrecision.Fp32);

        List<long[]> steps = [Prompt, .. Continuation.Select(static id => new[] { id })];
        foreach (var ids in steps)
        {
            var expectedEmbeddings = reference.Embed(ids);
            var embeddings = Run(embedding, LlamaEmbeddingGraph.InputIds, OrtValue.CreateTensorValueFromMemory(ids, [1, ids.Length]));
            Assert.Equal(expectedEmbeddings, embeddings);

            var hidden = span.Step(embeddings);
            var expectedLogits = reference.Head(reference.Layers(expectedEmbeddings, 0, config.LayerCount, cache));
            var logits = Run(
                head, LlamaHeadGraph.HiddenStates, OrtValue.CreateTensorValueFromMemory(hidden, [1, ids.Length, config.HiddenSize]));
            OnnxAssert.Close(expectedLogits, logits, 1e-4, what: "logits");
        }
    }

    [Fact]
    public void HeadGraph_Fp16_MatchesReferenceLoosely()
    {
        var config = LlamaSpanGraphTests.Config(64, 4, 2, 10_000f);
        var weights = new RandomLlamaWeights(config, seed: 4);
        var hidden = OnnxAssert.Random(9, 3 * config.HiddenSize);
        var halves = hidden.Select(static x => new Float16(BitConverter.HalfToUInt16Bits((Half)x))).ToArray();
        using var head = new InferenceSession(LlamaHeadGraph.Build(weights, LlamaGraphPrecision.Fp16));

        using var input = OrtValue.CreateTensorValueFromMemory(halves, [1, 3, config.HiddenSize]);
        using var options = new RunOptions();
        using var results = head.Run(options, [LlamaHeadGraph.HiddenStates], [input], [LlamaHeadGraph.Logits]);
        var logits = results[0].GetTensorDataAsSpan<Float16>().ToArray()
            .Select(static x => (float)BitConverter.UInt16BitsToHalf(x.value)).ToArray();

        OnnxAssert.Close(new LlamaReference(weights).Head(hidden), logits, 2e-2, 1e-2, "fp16 logits");
    }

    [Fact]
    public void EmbeddingGraph_MissingTable_NamesIt()
    {
        var weights = new RandomLlamaWeights(LlamaSpanGraphTests.Config(64, 4, 2, 10_000f), seed: 1);
        weights.Remove("token_embd.weight");

        var error = Assert.Throws<InvalidDataException>(() => LlamaEmbeddingGraph.Build(weights));
        Assert.Equal("the model has no tensor token_embd.weight", error.Message);
    }

    [Fact]
    public void HeadGraph_MissingOutputNorm_NamesIt()
    {
        var weights = new RandomLlamaWeights(LlamaSpanGraphTests.Config(64, 4, 2, 10_000f), seed: 1);
        weights.Remove("output_norm.weight");

        var error = Assert.Throws<InvalidDataException>(() => LlamaHeadGraph.Build(weights));
        Assert.Equal("the model has no tensor output_norm.weight", error.Message);
    }

    [Fact]
    public void HeadGraph_TiedWithoutEmbeddings_NamesTheEmbeddingTable()
    {
        var weights = new RandomLlamaWeights(LlamaSpanGraphTests.Config(64, 4, 2, 10_000f), seed: 1, tiedHead: true);
        weights.Remove("token_embd.weight");

        var error = Assert.Throws<InvalidDataException>(() => LlamaHeadGraph.Build(weights));
        Assert.Equal("the model has no tensor token_embd.weight", error.Message);
    }

    [Fact]
    public void EmbeddingGraph_IdOutsideVocabulary_FailsTheRun()
    {
        var weights = new RandomLlamaWeights(LlamaSpanGraphTests.Config(64, 4, 2, 10_000f), seed: 1);
        using var embedding = new InferenceSession(LlamaEmbeddingGraph.Build(weights));

        long[] ids = [1, weights.Config.VocabSize];
        Assert.Throws<OnnxRuntimeException>(
            () => Run(embedding, LlamaEmbeddingGraph.InputIds, OrtValue.CreateTensorValueFromMemory(ids, [1, 2])));
    }

    private static float[] Run(InferenceSession session, string inputName, OrtValue input)
    {
        using (input)
        {
            using var options = new RunOptions();
            using var results = session.Run(options, [inputName], [input], session.OutputNames);
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }
    }
}
