// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Model;
using LLama;
using LLama.Common;
using LLama.Native;

namespace KwaaiNet.Inference.Tests.EndToEnd;

/// <summary>
/// Greedy decoding of a GGUF file by llama.cpp through LLamaSharp, the reference our ONNX Runtime model is compared
/// with: the prompt in one batch, then one token per batch, the argmax (lowest id on ties) each time.
/// </summary>
internal static class LlamaCppGreedy
{
    /// <summary>The prompt's last logits and those of <paramref name="decodeSteps"/> more steps, with the token each chose.</summary>
    public static (List<int> Tokens, List<float[]> Logits) Run(string path, LlamaConfig config, int[] prompt, int decodeSteps)
    {
        // An fp32 KV cache and no flash attention: llama.cpp's defaults (an fp16 cache) would round K and V, which our
        // fp32 graph keeps exact.
        var parameters = new ModelParams(path)
        {
            ContextSize = (uint)config.ContextLength,
            GpuLayerCount = 0,
            BatchSize = 64,
            UBatchSize = 64,
            Threads = 2,
            TypeK = GGMLType.GGML_TYPE_F32,
            TypeV = GGMLType.GGML_TYPE_F32,
            FlashAttention = false,
        };
        using var weights = LLamaWeights.LoadFromFile(parameters);
        using var context = weights.CreateContext(parameters);
        List<int> tokens = [];
        List<float[]> logits = [];
        var position = 0;
        var input = prompt;
        for (var step = 0; step <= decodeSteps; step++)
        {
            var batch = new LLamaBatch();
            for (var i = 0; i < input.Length; i++)
            {
                batch.Add((LLamaToken)input[i], position++, LLamaSeqId.Zero, i == input.Length - 1);
            }

            Assert.Equal(DecodeResult.Ok, context.NativeHandle.Decode(batch));
            var stepLogits = context.NativeHandle.GetLogitsIth(input.Length - 1).ToArray();
            logits.Add(stepLogits);
            var next = ArgMax(stepLogits);
            tokens.Add(next);
            input = [next];
        }

        return (tokens, logits);
    }

    /// <summary>The index of the largest value, the lowest on ties.</summary>
    public static int ArgMax(float[] values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
