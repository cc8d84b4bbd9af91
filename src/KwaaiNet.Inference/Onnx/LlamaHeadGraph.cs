// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Model;
using A = KwaaiNet.Inference.Onnx.OnnxGraphBuilder;

namespace KwaaiNet.Inference.Onnx;

/// <summary>
/// The ONNX model of a Llama model's head (the client's last step): <see cref="HiddenStates"/>
/// <c>[batch, sequence, hidden]</c> → final RMSNorm (<c>output_norm.weight</c>) → MatMul with <c>output.weight</c> →
/// <see cref="Logits"/> <c>[batch, sequence, vocab]</c>. Without <c>output.weight</c> the head is tied to
/// <c>token_embd.weight</c>, as llama.cpp does.
/// </summary>
public static class LlamaHeadGraph
{
    /// <summary>The hidden-states input (the last span's <see cref="LlamaSpanGraph.HiddenStatesOut"/>).</summary>
    public const string HiddenStates = "hidden_states";

    /// <summary>The logits output.</summary>
    public const string Logits = "logits";

    /// <summary>Builds the head model with its weights inline.</summary>
    /// <exception cref="InvalidDataException">A tensor is missing or has the wrong shape.</exception>
    public static byte[] Build(ILlamaWeights weights, LlamaGraphPrecision precision = LlamaGraphPrecision.Fp32)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var config = weights.Config;
        LlamaTensors.Validate(config);
        var type = LlamaTensors.ElementType(precision);
        int d = config.HiddenSize, vocab = config.VocabSize;

        var g = new OnnxGraphBuilder("llama_head");
        g.AddInput(HiddenStates, type, "batch", "sequence_length", d);
        var norm = g.AddInitializer("output_norm", LlamaTensors.Read(weights, LlamaTensors.OutputNorm, d), type, d);
        var source = weights.Contains(LlamaTensors.Output) ? LlamaTensors.Output : LlamaTensors.TokenEmbedding;
        var head = g.AddInitializer("lm_head", LlamaTensors.ReadLinear(weights, source, d, vocab), type, d, vocab);
        var normed = g.AddNode(
            "SimplifiedLayerNormalization", [HiddenStates, norm], ["output_norm_out"], "",
            A.Attribute("axis", -1L), A.Attribute("epsilon", config.RmsNormEpsilon), A.Attribute("stash_type", 1L));
        g.AddNode("MatMul", [normed, head], [Logits]);
        g.AddOutput(Logits, type, "batch", "sequence_length", vocab);
        return g.ToModelBytes();
    }
}
