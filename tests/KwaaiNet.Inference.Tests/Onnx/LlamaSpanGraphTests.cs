// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Model;
using KwaaiNet.Inference.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace KwaaiNet.Inference.Tests.Onnx;

public sealed class LlamaSpanGraphTests
{
    private const int Layers = 3;
    private const int PrefillTokens = 5;
    private const int DecodeSteps = 4;

    // fp16 weights, activations and KV cache against the fp32 reference through 3 layers: measured at most 1.9e-3;
    // the bound leaves a 5x margin.
    private const double Fp16Absolute = 1e-2;
    private const double Fp16Relative = 1e-2;

    internal static LlamaConfig Config(int hidden, int heads, int kvHeads, float theta, int layers = Layers) =>
        new(VocabSize: 48, HiddenSize: hidden, IntermediateSize: 96, LayerCount: layers, HeadCount: heads,
            KvHeadCount: kvHeads, RmsNormEpsilon: 1e-5f, RopeTheta: theta, ContextLength: 64);

    [Theory]
    [InlineData(64, 4, 4, 10_000f)]     // multi-head, head size 16
    [InlineData(64, 4, 2, 500_000f)]    // grouped-query, head size 16
    [InlineData(128, 4, 1, 500_000f)]   // grouped-query (one KV head), head size 32
    [InlineData(64, 2, 2, 10_000f)]     // multi-head, head size 32
    public void Build_Fp32PrefillThenDecode_MatchesReference(int hidden, int heads, int kvHeads, float theta)
    {
        var weights = new RandomLlamaWeights(Config(hidden, heads, kvHeads, theta), seed: hidden + heads + kvHeads);

        RunAgainstReference(weights, start: 1, end: Layers, LlamaGraphPrecision.Fp32, absolute: 1e-4, relative: 0);
    }

    [Theory]
    [InlineData(64, 4, 2, 10_000f)]
    [InlineData(128, 4, 4, 500_000f)]
    public void Build_Fp16PrefillThenDecode_MatchesReferenceLoosely(int hidden, int heads, int kvHeads, float theta)
    {
        var weights = new RandomLlamaWeights(Config(hidden, heads, kvHeads, theta), seed: 7);

        RunAgainstReference(weights, start: 0, end: Layers, LlamaGraphPrecision.Fp16, Fp16Absolute, Fp16Relative);
    }

    [Fact]
    public void Build_WithRopeFrequencyDivisors_MatchesReference()
    {
        var weights = new RandomLlamaWeights(Config(64, 4, 2, 500_000f), seed: 11, ropeFrequencies: true);

        RunAgainstReference(weights, start: 0, end: Layers, LlamaGraphPrecision.Fp32, absolute: 1e-4, relative: 0);
    }

    [Fact]
    public void Build_ChunkedPrefillOnTopOfPast_MatchesReference()
    {
        var config = Config(64, 4, 2, 500_000f);
        var weights = new RandomLlamaWeights(config, seed: 13);
        var reference = new LlamaReference(weights);
        var cache = new LlamaReference.Cache();
        using var runner = new SpanRunner(LlamaSpanGraph.Build(weights, 0, Layers), config, 0, Layers, LlamaGraphPrecision.Fp32);

        int[] chunks = [4, 3, 1, 2];
        for (var step = 0; step < chunks.Length; step++)
        {
            var input = OnnxAssert.Random(50 + step, chunks[step] * config.HiddenSize);
            OnnxAssert.Close(reference.Layers(input, 0, Layers, cache), runner.Step(input), 1e-4, what: $"chunk {step}");
        }

        Assert.Equal(chunks.Sum(), runner.Total);
    }

    [Fact]
    public void Reference_IncrementalWithCache_EqualsOneFullPass()
    {
        // The reference's own KV cache must not change the result: decode steps equal one pass over the sequence.
        var config = Config(64, 4, 2, 10_000f);
        var reference = new LlamaReference(new RandomLlamaWeights(config, seed: 17));
        var input = OnnxAssert.Random(1, 6 * config.HiddenSize);
        var whole = reference.Layers(input, 0, Layers, new LlamaReference.Cache());

        var cache = new LlamaReference.Cache();
        var first = reference.Layers(input[..(4 * config.HiddenSize)], 0, Layers, cache);
        var fifth = reference.Layers(input[(4 * config.HiddenSize)..(5 * config.HiddenSize)], 0, Layers, cache);
        var sixth = reference.Layers(input[(5 * config.HiddenSize)..], 0, Layers, cache);

        OnnxAssert.Close(whole, [.. first, .. fifth, .. sixth], 1e-6, what: "incremental");
        Assert.Equal(6, cache.Length(Layers - 1));
    }

    [Fact]
    public void Build_TwoChainedSpans_EqualTheWholeSpan()
    {
        var config = Config(64, 4, 2, 10_000f, layers: 4);
        var weights = new RandomLlamaWeights(config, seed: 3);
        using var whole = new SpanRunner(LlamaSpanGraph.Build(weights, 0, 4), config, 0, 4, LlamaGraphPrecision.Fp32);
        using var first = new SpanRunner(LlamaSpanGraph.Build(weights, 0, 1), config, 0, 1, LlamaGraphPrecision.Fp32);
        using var second = new SpanRunner(LlamaSpanGraph.Build(weights, 1, 4), config, 1, 4, LlamaGraphPrecision.Fp32);

        foreach (var (step, tokens) in Steps())
        {
            var input = OnnxAssert.Random(100 + step, tokens * config.HiddenSize);
            var expected = whole.Step(input);
            var chained = second.Step(first.Step(input));
            OnnxAssert.Close(expected, chained, 1e-5, what: $"step {step}");
        }
    }

    [Fact]
    public void Write_ExternalData_LoadsByPathAndMatchesInlineModel()
    {
        var config = Config(64, 4, 2, 10_000f);
        var weights = new RandomLlamaWeights(config, seed: 5);
        var directory = Directory.CreateTempSubdirectory("kwaainet-span-");
        try
        {
            var modelPath = Path.Combine(directory.FullName, "span.onnx");
            LlamaSpanGraph.Write(weights, 0, Layers, modelPath, "span.weights");
            var weightsBytes = new FileInfo(Path.Combine(directory.FullName, "span.weights")).Length;
            Assert.True(new FileInfo(modelPath).Length < weightsBytes / 4, "the weights live outside the model file");

            using var inline = new SpanRunner(LlamaSpanGraph.Build(weights, 0, Layers), config, 0, Layers, LlamaGraphPrecision.Fp32);
            using var external = new SpanRunner(new InferenceSession(modelPath), config, 0, Layers, LlamaGraphPrecision.Fp32);
            foreach (var (step, tokens) in Steps())
            {
                var input = OnnxAssert.Random(200 + step, tokens * config.HiddenSize);
                Assert.Equal(inline.Step(input), external.Step(input));
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(-1, 1)]
    [InlineData(0, 0)]
    [InlineData(2, 1)]
    [InlineData(0, Layers + 1)]
    [InlineData(Layers, Layers + 1)]
    public void Build_RangeOutsideModel_Throws(int start, int end)
    {
        var weights = new RandomLlamaWeights(Config(64, 4, 2, 10_000f), seed: 1);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => LlamaSpanGraph.Build(weights, start, end));
        Assert.Contains("span", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_HeadSizeNotMultipleOf16_NamesTheCpuKernelRule()
    {
        var weights = new RandomLlamaWeights(Config(32, 4, 2, 10_000f), seed: 1);   // head size 8

        var error = Assert.Throws<NotSupportedException>(() => LlamaSpanGraph.Build(weights, 0, 1));
        Assert.Contains("head size 8", error.Message, StringComparison.Ordinal);
        Assert.Contains("GroupQueryAttention", error.Message, StringComparison.Ordinal);
        Assert.Contains("head_size % 16 == 0", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("blk.1.ffn_up.weight")]
    [InlineData("blk.0.attn_norm.weight")]
    [InlineData("blk.2.attn_k.weight")]
    public void Build_MissingTensor_NamesIt(string tensor)
    {
        var weights = new RandomLlamaWeights(Config(64, 4, 2, 10_000f), seed: 1);
        weights.Remove(tensor);

        var error = Assert.Throws<InvalidDataException>(() => LlamaSpanGraph.Build(weights, 0, Layers));
        Assert.Equal($"the model has no tensor {tensor}", error.Message);
    }

    [Fact]
    public void Build_MissingTensorOutsideTheSpan_IsNotNeeded()
    {
        var config = Config(64, 4, 2, 10_000f);
        var weights = new RandomLlamaWeights(config, seed: 1);
        weights.Remove("blk.0.attn_q.weight");
        weights.Remove("token_embd.weight");

        var model = LlamaSpanGraph.Build(weights, 1, Layers);

        using var runner = new SpanRunner(model, config, 1, Layers, LlamaGraphPrecision.Fp32);
        Assert.Equal(2 * config.HiddenSize, runner.Step(OnnxAssert.Random(1, 2 * config.HiddenSize)).Length);
    }

    [Fact]
    public void Build_TensorWithWrongShape_SaysWhichAndWhy()
    {
        var config = Config(64, 4, 2, 10_000f);
        var weights = new RandomLlamaWeights(config, seed: 1);
        var k = weights.ReadFloat32("blk.1.attn_k.weight");
        weights.Replace("blk.1.attn_k.weight", [32, 64], k);       // [out, in]: the wrong order

        var error = Assert.Throws<InvalidDataException>(() => LlamaSpanGraph.Build(weights, 0, Layers));
        Assert.Equal("tensor blk.1.attn_k.weight has shape [32, 64], expected [64, 32] (ggml order)", error.Message);
    }

    [Fact]
    public void Build_TensorDataShorterThanShape_Throws()
    {
        var weights = new RandomLlamaWeights(Config(64, 4, 2, 10_000f), seed: 1);
        weights.Replace("blk.0.ffn_norm.weight", [64], new float[63]);

        var error = Assert.Throws<InvalidDataException>(() => LlamaSpanGraph.Build(weights, 0, 1));
        Assert.Contains("blk.0.ffn_norm.weight yielded 63 values", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_HeadsNotMultipleOfKvHeads_Throws()
    {
        var weights = new RandomLlamaWeights(Config(96, 6, 4, 10_000f), seed: 1);

        var error = Assert.Throws<InvalidDataException>(() => LlamaSpanGraph.Build(weights, 0, 1));
        Assert.Contains("not a multiple of the KV head count 4", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0f, 10_000f)]
    [InlineData(float.NaN, 10_000f)]
    [InlineData(1e-5f, 0f)]
    [InlineData(1e-5f, float.PositiveInfinity)]
    public void Build_BadNormEpsilonOrRopeBase_Throws(float epsilon, float theta)
    {
        var config = Config(64, 4, 2, 10_000f) with { RmsNormEpsilon = epsilon, RopeTheta = theta };
        var weights = new RandomLlamaWeights(Config(64, 4, 2, 10_000f), seed: 1);

        Assert.Throws<InvalidDataException>(() => LlamaSpanGraph.Build(new ConfigOverride(weights, config), 0, 1));
    }

    [Fact]
    public void Build_HiddenNotMultipleOfHeads_Throws()
    {
        var weights = new RandomLlamaWeights(Config(64, 4, 2, 10_000f), seed: 1);
        var config = weights.Config with { HeadCount = 5, KvHeadCount = 5 };

        var error = Assert.Throws<InvalidDataException>(() => LlamaSpanGraph.Build(new ConfigOverride(weights, config), 0, 1));
        Assert.Contains("hidden size 64 is not a multiple of the head count 5", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Build_NonPositiveContextLength_Throws(int context)
    {
        var weights = new RandomLlamaWeights(Config(64, 4, 2, 10_000f) with { ContextLength = context }, seed: 1);

        var error = Assert.Throws<InvalidDataException>(() => LlamaSpanGraph.Build(weights, 0, 1));
        Assert.Contains("ContextLength must be positive", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(LlamaTensorsLimit + 1)]
    public void Build_RotaryCacheLengthOutOfBounds_Throws(int positions)
    {
        var weights = new RandomLlamaWeights(Config(64, 4, 2, 10_000f), seed: 1);

        Assert.Throws<ArgumentOutOfRangeException>(() => LlamaSpanGraph.Build(weights, 0, 1, maxSequenceLength: positions));
    }

    [Fact]
    public void Build_NonPositiveRopeDivisor_Throws()
    {
        var weights = new RandomLlamaWeights(Config(64, 4, 2, 10_000f), seed: 1, ropeFrequencies: true);
        var divisors = weights.ReadFloat32("rope_freqs.weight");
        divisors[3] = 0;
        weights.Replace("rope_freqs.weight", [8], divisors);

        var error = Assert.Throws<InvalidDataException>(() => LlamaSpanGraph.Build(weights, 0, 1));
        Assert.Contains("rope_freqs.weight[3]", error.Message, StringComparison.Ordinal);
    }

    private const int LlamaTensorsLimit = LlamaTensors.MaxSequenceLength;

    /// <summary>The same tensors under another (inconsistent) config.</summary>
    private sealed class ConfigOverride(ILlamaWeights inner, LlamaConfig config) : ILlamaWeights
    {
        public LlamaConfig Config => config;

        public bool Contains(string name) => inner.Contains(name);

        public IReadOnlyList<long> Shape(string name) => inner.Shape(name);

        public float[] ReadFloat32(string name) => inner.ReadFloat32(name);
    }

    private static IEnumerable<(int Step, int Tokens)> Steps()
    {
        yield return (0, PrefillTokens);
        for (var step = 1; step <= DecodeSteps; step++)
        {
            yield return (step, 1);
        }
    }

    private static void RunAgainstReference(
        RandomLlamaWeights weights, int start, int end, LlamaGraphPrecision precision, double absolute, double relative)
    {
        var config = weights.Config;
        var reference = new LlamaReference(weights);
        var cache = new LlamaReference.Cache();
        using var runner = new SpanRunner(LlamaSpanGraph.Build(weights, start, end, precision), config, start, end, precision);

        foreach (var (step, tokens) in Steps())
        {
            var input = OnnxAssert.Random(step, tokens * config.HiddenSize);
            var expected = reference.Layers(input, start, end, cache);
            var actual = runner.Step(input);
            var worst = OnnxAssert.Close(expected, actual, absolute, relative, $"step {step} hidden");
            TestContext.Current.TestOutputHelper?.WriteLine($"{precision} step {step}: max |diff| {worst:E2}");
        }

        // present.{i}.key is BNSH [1, kv_heads, total, head_size] and holds the rotated keys.
        var total = PrefillTokens + DecodeSteps;
        int h = config.HeadSize, nkv = config.KvHeadCount;
        Assert.Equal([1L, nkv, total, h], runner.PresentShape(end - 1));
        var keys = cache.Layers[end - 1].Keys;
        var expectedKeys = new float[nkv * total * h];
        for (var head = 0; head < nkv; head++)
        {
            for (var p = 0; p < total; p++)
            {
                keys[p].AsSpan(head * h, h).CopyTo(expectedKeys.AsSpan(((head * total) + p) * h));
            }
        }

        OnnxAssert.Close(expectedKeys, runner.PresentKey(end - 1), absolute, relative, "present key");
    }
}
