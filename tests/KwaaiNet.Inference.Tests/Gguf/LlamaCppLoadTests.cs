// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Gguf;
using KwaaiNet.Testing.Inference;
using LLama;
using LLama.Common;
using LLama.Native;

namespace KwaaiNet.Inference.Tests.Gguf;

/// <summary>llama.cpp (through LLamaSharp) accepts the tiny GGUF files our writer produces as Llama models.</summary>
public sealed class LlamaCppLoadTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_K)]
    public void TinyModel_LoadsInLlamaCppWithTheSameShape(GgmlType type)
    {
        var config = type == GgmlType.Q4_K ? TinyLlamaGguf.KQuant : TinyLlamaGguf.Default;
        var path = _temp.File($"tiny-{type}.gguf");
        TinyLlamaGguf.Write(path, type, seed: 9, config);

        var parameters = new ModelParams(path) { ContextSize = 32, GpuLayerCount = 0, BatchSize = 32, UBatchSize = 32 };
        using var weights = LLamaWeights.LoadFromFile(parameters);

        Assert.Equal(config.VocabSize, weights.Vocab.Count);
        Assert.Equal(config.LayerCount, weights.NativeHandle.LayerCount);
        Assert.Equal(config.HiddenSize, weights.EmbeddingSize);
        Assert.Equal(config.HeadCount, weights.NativeHandle.HeadCount);
        Assert.Equal(config.KvHeadCount, weights.NativeHandle.KVHeadCount);
        Assert.Equal(config.ContextLength, weights.ContextSize);

        // One decode step runs every layer's tensors through llama.cpp; the logits must be finite.
        using var context = weights.CreateContext(parameters);
        var batch = new LLamaBatch();
        int[] ids = [1, 100, 200];
        for (var i = 0; i < ids.Length; i++)
        {
            batch.Add((LLamaToken)ids[i], i, LLamaSeqId.Zero, i == ids.Length - 1);
        }

        Assert.Equal(DecodeResult.Ok, context.NativeHandle.Decode(batch));
        var logits = context.NativeHandle.GetLogitsIth(ids.Length - 1).ToArray();
        Assert.Equal(config.VocabSize, logits.Length);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
        Assert.Contains(logits, v => v != 0);
    }
}
