// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Model;
using DataType = KwaaiNet.Inference.Protos.TensorProto.Types.DataType;

namespace KwaaiNet.Inference.Onnx;

/// <summary>
/// The ONNX model of a Llama model's token embedding (the client's first step): <see cref="InputIds"/> int64
/// <c>[batch, sequence]</c> → <see cref="HiddenStates"/> <c>[batch, sequence, hidden]</c>, a Gather over the rows of
/// <c>token_embd.weight</c>. An id outside the vocabulary fails the run.
/// </summary>
public static class LlamaEmbeddingGraph
{
    /// <summary>The token-ids input.</summary>
    public const string InputIds = "input_ids";

    /// <summary>The embeddings output (a span graph's <see cref="LlamaSpanGraph.HiddenStates"/> input).</summary>
    public const string HiddenStates = "hidden_states";

    /// <summary>Builds the embedding model with its table inline.</summary>
    /// <exception cref="InvalidDataException"><c>token_embd.weight</c> is missing or has the wrong shape.</exception>
    public static byte[] Build(ILlamaWeights weights, LlamaGraphPrecision precision = LlamaGraphPrecision.Fp32)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var config = weights.Config;
        LlamaTensors.Validate(config);
        var type = LlamaTensors.ElementType(precision);

        var g = new OnnxGraphBuilder("llama_embedding");
        g.AddInput(InputIds, DataType.Int64, "batch", "sequence_length");

        // ggml ne = [hidden, vocab]: row-major [vocab][hidden], one row per token, as Gather wants.
        var table = LlamaTensors.Read(weights, LlamaTensors.TokenEmbedding, config.HiddenSize, config.VocabSize);
        g.AddInitializer("token_embd", table, type, config.VocabSize, config.HiddenSize);
        g.AddNode("Gather", ["token_embd", InputIds], [HiddenStates], "", OnnxGraphBuilder.Attribute("axis", 0L));
        g.AddOutput(HiddenStates, type, "batch", "sequence_length", config.HiddenSize);
        return g.ToModelBytes();
    }
}
