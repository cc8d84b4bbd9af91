// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Model;
using KwaaiNet.Inference.Onnx;
using KwaaiNet.Inference.Tests.Gguf;
using KwaaiNet.Inference.Tests.Onnx;
using KwaaiNet.Testing.Inference;
using Microsoft.ML.OnnxRuntime;

namespace KwaaiNet.Inference.Tests.EndToEnd;

/// <summary>
/// The whole model on ONNX Runtime (embedding, every decoder layer, final norm and head, built from the same GGUF file
/// by our reader and graph builder) against llama.cpp through LLamaSharp: the logits of a prefill and of 16 greedy
/// decode steps, and the greedy tokens themselves.
/// </summary>
public sealed class LlamaCppParityTests : IDisposable
{
    private const int DecodeSteps = 16;
    private static readonly int[] Prompt = [1, 72, 101, 108, 108, 111, 33];

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>
    /// Bounds on |logit difference| (logits of these random models span about ±3): fp32 weights 1e-4, the issue's
    /// bound (measured 1.7e-6); fp16 1e-2 (measured 2.3e-3: llama.cpp multiplies fp16 weights with fp16-rounded
    /// activations). For quantized weights both sides dequantize the same blocks, but llama.cpp also quantizes the
    /// activations to 8 bits for its Q8_0 and K-quant dot products, where we multiply in fp32: Q8_0 0.15 (measured
    /// 0.057), Q4_K 0.6 (measured 0.37, hidden size 256, so more rounding per dot product). Greedy tokens are
    /// identical in every case.
    /// </summary>
    [Theory]
    [InlineData(GgmlType.F32, 1e-4)]
    [InlineData(GgmlType.F16, 1e-2)]
    [InlineData(GgmlType.Q8_0, 1.5e-1)]
    [InlineData(GgmlType.Q4_K, 6e-1)]
    public void WholeModel_MatchesLlamaCpp_ForThePrefillAnd16GreedySteps(GgmlType type, double bound)
    {
        var config = type == GgmlType.Q4_K ? TinyLlamaGguf.KQuant : TinyLlamaGguf.Default;
        var path = _temp.File($"parity-{type}.gguf");
        TinyLlamaGguf.Write(path, type, seed: 5, config);

        var ours = OurGreedy(path, config);
        var theirs = LlamaCppGreedy.Run(path, config, Prompt, DecodeSteps);

        Assert.Equal(theirs.Tokens, ours.Tokens);
        double worst = 0;
        for (var step = 0; step < theirs.Logits.Count; step++)
        {
            worst = Math.Max(worst, OnnxAssert.Close(theirs.Logits[step], ours.Logits[step], bound, what: $"{type} logits at step {step}"));
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{type}: largest |logit difference| {worst:E2} over the prefill and {DecodeSteps} steps (bound {bound:E0})");
    }

    /// <summary>
    /// The fp32 bound over other shapes: multi-head attention (as many KV heads as heads, Llama-2 7B's layout), Llama-3's
    /// rope theta of 500,000, and both with a head size of 32.
    /// </summary>
    [Theory]
    [InlineData("multi-head attention")]
    [InlineData("rope theta 500000")]
    [InlineData("multi-head, theta 500000, head size 32")]
    public void WholeModel_OtherShapes_MatchLlamaCpp(string shape)
    {
        var config = shape switch
        {
            "multi-head attention" => TinyLlamaGguf.Default with { KvHeadCount = TinyLlamaGguf.Default.HeadCount },
            "rope theta 500000" => TinyLlamaGguf.Default with { RopeTheta = 500_000f },
            _ => TinyLlamaGguf.Default with { HiddenSize = 64, HeadCount = 2, KvHeadCount = 2, RopeTheta = 500_000f },
        };
        var path = _temp.File($"parity-{shape.Replace(' ', '-').Replace(',', '-')}.gguf");
        TinyLlamaGguf.Write(path, GgmlType.F32, seed: 9, config);

        var ours = OurGreedy(path, config);
        var theirs = LlamaCppGreedy.Run(path, config, Prompt, DecodeSteps);

        Assert.Equal(theirs.Tokens, ours.Tokens);
        for (var step = 0; step < theirs.Logits.Count; step++)
        {
            OnnxAssert.Close(theirs.Logits[step], ours.Logits[step], 1e-4, what: $"{shape} logits at step {step}");
        }
    }

    private static (List<int> Tokens, List<float[]> Logits) OurGreedy(string path, LlamaConfig config)
    {
        using var file = GgufFile.Open(path);
        var weights = new GgufLlamaWeights(file);
        Assert.Equal(config, LlamaGguf.ReadConfig(file));
        using var embedding = new InferenceSession(LlamaEmbeddingGraph.Build(weights));
        using var head = new InferenceSession(LlamaHeadGraph.Build(weights));
        using var span = new SpanRunner(LlamaSpanGraph.Build(weights, 0, config.LayerCount), config, 0, config.LayerCount, LlamaGraphPrecision.Fp32);

        List<int> tokens = [];
        List<float[]> logits = [];
        var input = Prompt.Select(static t => (long)t).ToArray();
        for (var step = 0; step <= DecodeSteps; step++)
        {
            var embeddings = Run(embedding, LlamaEmbeddingGraph.InputIds, OrtValue.CreateTensorValueFromMemory(input, [1, input.Length]));
            var hidden = span.Step(embeddings);
            var last = hidden.AsSpan((input.Length - 1) * config.HiddenSize, config.HiddenSize).ToArray();
            var stepLogits = Run(head, LlamaHeadGraph.HiddenStates, OrtValue.CreateTensorValueFromMemory(last, [1, 1, config.HiddenSize]));
            logits.Add(stepLogits);
            var next = LlamaCppGreedy.ArgMax(stepLogits);
            tokens.Add(next);
            input = [next];
        }

        return (tokens, logits);
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
