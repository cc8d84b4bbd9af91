// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Model;

/// <summary>
/// The shape of a Llama-family model, as GGUF metadata gives it (<c>llama.*</c> keys): what the graph builder needs
/// to lay out decoder layers, rotary embeddings and the KV cache.
/// </summary>
/// <param name="VocabSize">Tokens in the vocabulary (rows of <c>token_embd.weight</c>).</param>
/// <param name="HiddenSize"><c>llama.embedding_length</c>.</param>
/// <param name="IntermediateSize"><c>llama.feed_forward_length</c>.</param>
/// <param name="LayerCount"><c>llama.block_count</c>.</param>
/// <param name="HeadCount"><c>llama.attention.head_count</c>.</param>
/// <param name="KvHeadCount"><c>llama.attention.head_count_kv</c> (equal to the head count without grouped-query attention).</param>
/// <param name="RmsNormEpsilon"><c>llama.attention.layer_norm_rms_epsilon</c>.</param>
/// <param name="RopeTheta"><c>llama.rope.freq_base</c> (10,000 for Llama-2, 500,000 for Llama-3).</param>
/// <param name="ContextLength"><c>llama.context_length</c>.</param>
public sealed record LlamaConfig(
    int VocabSize,
    int HiddenSize,
    int IntermediateSize,
    int LayerCount,
    int HeadCount,
    int KvHeadCount,
    float RmsNormEpsilon,
    float RopeTheta,
    int ContextLength)
{
    /// <summary>Size of one attention head.</summary>
    public int HeadSize => HiddenSize / HeadCount;
}

/// <summary>
/// A model's weights by GGUF tensor name (<c>token_embd.weight</c>, <c>blk.{i}.attn_q.weight</c>, …), dequantized to
/// fp32 in ggml's layout: <c>ne[0]</c> varies fastest, so a linear weight with <c>ne = [in, out]</c> is row-major
/// <c>[out][in]</c>.
/// </summary>
public interface ILlamaWeights
{
    /// <summary>The model's shape.</summary>
    LlamaConfig Config { get; }

    /// <summary>True when the model has a tensor of that name (<c>output.weight</c> is absent when tied to the embeddings).</summary>
    bool Contains(string name);

    /// <summary>The tensor's dimensions in ggml order (<c>ne</c>, fastest first).</summary>
    IReadOnlyList<long> Shape(string name);

    /// <summary>The tensor dequantized to fp32, in ggml order. Throws for an unknown name.</summary>
    float[] ReadFloat32(string name);
}
