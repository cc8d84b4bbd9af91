// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using KwaaiNet.Inference.Model;
using A = KwaaiNet.Inference.Onnx.OnnxGraphBuilder;
using DataType = KwaaiNet.Inference.Protos.TensorProto.Types.DataType;

namespace KwaaiNet.Inference.Onnx;

/// <summary>
/// The ONNX model of a span of Llama decoder layers <c>[start, end)</c>, the unit a server hosts. Each layer is
/// RMSNorm → one packed Q/K/V MatMul → <c>com.microsoft.GroupQueryAttention</c> (RoPE applied inside, KV cache in BNSH) →
/// output MatMul → residual + RMSNorm (<c>SkipSimplifiedLayerNormalization</c>) → SwiGLU MLP (gate and up in one MatMul) → residual: the graph
/// onnxruntime-genai's model builder emits for Llama, with GGUF's Q/K row order kept and rotated pairwise.
/// </summary>
/// <remarks>
/// Inputs: <see cref="HiddenStates"/> <c>[batch, sequence, hidden]</c>, <see cref="SeqlensK"/> <c>[batch]</c> int32
/// (total length − 1 per row), <see cref="TotalSequenceLength"/> int32 scalar (past + new), and per layer
/// <see cref="PastKey"/>/<see cref="PastValue"/> <c>[batch, kv_heads, past, head_size]</c> (zero-length at the start).
/// Outputs: <see cref="HiddenStatesOut"/> and <see cref="PresentKey"/>/<see cref="PresentValue"/>
/// <c>[batch, kv_heads, past + sequence, head_size]</c>, the next step's past (keys stored rotated); or, when one buffer
/// longer than the sequence is passed as both past and present, that buffer, appended to in place at the positions
/// <see cref="SeqlensK"/> gives. Layer numbers in the names are the model's, not the span's. The new tokens sit at
/// positions <c>[total − sequence, total)</c>; with a past, a step of more than one token needs batch 1 (a
/// GroupQueryAttention rule).
/// </remarks>
public static class LlamaSpanGraph
{
    /// <summary>The hidden-states input.</summary>
    public const string HiddenStates = "hidden_states";

    /// <summary>The hidden-states output.</summary>
    public const string HiddenStatesOut = "hidden_states_out";

    /// <summary>int32 <c>[batch]</c>: each row's total sequence length minus one.</summary>
    public const string SeqlensK = "seqlens_k";

    /// <summary>int32 scalar: past plus new tokens (the batch's maximum).</summary>
    public const string TotalSequenceLength = "total_sequence_length";

    /// <summary>The past keys of model layer <paramref name="layer"/>.</summary>
    public static string PastKey(int layer) => Name("past_key_values.{0}.key", layer);

    /// <summary>The past values of model layer <paramref name="layer"/>.</summary>
    public static string PastValue(int layer) => Name("past_key_values.{0}.value", layer);

    /// <summary>The keys of model layer <paramref name="layer"/> after this step (past + new, rotated).</summary>
    public static string PresentKey(int layer) => Name("present.{0}.key", layer);

    /// <summary>The values of model layer <paramref name="layer"/> after this step (past + new).</summary>
    public static string PresentValue(int layer) => Name("present.{0}.value", layer);

    /// <summary>Builds the span's model with its weights inline (protobuf caps that at 2 GiB).</summary>
    /// <param name="weights">The model.</param>
    /// <param name="start">The first layer of the span.</param>
    /// <param name="end">One past the span's last layer.</param>
    /// <param name="precision">The graph's element type, its inputs and outputs included.</param>
    /// <param name="maxSequenceLength">Positions covered by the rotary caches; the model's context length by default.</param>
    /// <returns>ONNX model bytes for <c>new InferenceSession(bytes)</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The range is empty or outside the model.</exception>
    /// <exception cref="NotSupportedException">The head size is not a multiple of 16 (CPU GroupQueryAttention).</exception>
    /// <exception cref="InvalidDataException">A tensor is missing or has the wrong shape, or the shape is inconsistent.</exception>
    public static byte[] Build(
        ILlamaWeights weights,
        int start,
        int end,
        LlamaGraphPrecision precision = LlamaGraphPrecision.Fp32,
        int? maxSequenceLength = null) =>
        Create(weights, start, end, precision, maxSequenceLength).ToModelBytes();

    /// <summary>
    /// Builds the span's model and writes it to <paramref name="modelPath"/>, its weights to
    /// <paramref name="dataFileName"/> in the same folder (ONNX external data, no size cap). Load it by path.
    /// </summary>
    /// <param name="weights">The model.</param>
    /// <param name="start">The first layer of the span.</param>
    /// <param name="end">One past the span's last layer.</param>
    /// <param name="modelPath">Where the model file goes.</param>
    /// <param name="dataFileName">The weights file's name, beside the model.</param>
    /// <param name="precision">The graph's element type, its inputs and outputs included.</param>
    /// <param name="maxSequenceLength">Positions covered by the rotary caches; the model's context length by default.</param>
    public static void Write(
        ILlamaWeights weights,
        int start,
        int end,
        string modelPath,
        string dataFileName,
        LlamaGraphPrecision precision = LlamaGraphPrecision.Fp32,
        int? maxSequenceLength = null) =>
        Create(weights, start, end, precision, maxSequenceLength).WriteWithExternalData(modelPath, dataFileName);

    private static OnnxGraphBuilder Create(
        ILlamaWeights weights, int start, int end, LlamaGraphPrecision precision, int? maxSequenceLength)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var config = weights.Config;
        LlamaTensors.Validate(config);
        if (start < 0 || start >= config.LayerCount)
        {
            throw new ArgumentOutOfRangeException(
                nameof(start), start, $"the span must start at a layer of the model, 0 to {config.LayerCount - 1}");
        }

        if (end <= start || end > config.LayerCount)
        {
            throw new ArgumentOutOfRangeException(
                nameof(end), end, $"the span [{start}, end) must hold at least one layer and end at most at {config.LayerCount}");
        }

        LlamaTensors.ValidateAttention(config);
        var positions = LlamaTensors.SequenceLength(config, maxSequenceLength);
        var type = LlamaTensors.ElementType(precision);

        int d = config.HiddenSize, h = config.HeadSize, nq = config.HeadCount, nkv = config.KvHeadCount;
        int ffn = config.IntermediateSize;
        var g = new OnnxGraphBuilder(Name("llama_span_{0}", start) + Name("_{0}", end));
        g.AddInput(HiddenStates, type, "batch", "sequence_length", d);
        g.AddInput(SeqlensK, DataType.Int32, "batch");
        g.AddInput(TotalSequenceLength, DataType.Int32);
        for (var layer = start; layer < end; layer++)
        {
            g.AddInput(PastKey(layer), type, "batch", nkv, "past_sequence_length", h);
            g.AddInput(PastValue(layer), type, "batch", nkv, "past_sequence_length", h);
        }

        var (cos, sin) = LlamaTensors.RotaryCaches(weights, positions);
        g.AddInitializer("cos_cache", cos, type, positions, h / 2);
        g.AddInitializer("sin_cache", sin, type, positions, h / 2);

        g.AddInitializer("ffn_split", (ReadOnlySpan<long>)[ffn, ffn], 2);
        var epsilon = A.Attribute("epsilon", config.RmsNormEpsilon);
        var hidden = HiddenStates;
        for (var layer = start; layer < end; layer++)
        {
            var p = Name("layers.{0}.", layer);
            string Linear(string tensor, int inputs, int outputs) => g.AddInitializer(
                p + tensor, LlamaTensors.ReadLinear(weights, LlamaTensors.Block(layer, tensor), inputs, outputs), type, inputs, outputs);
            string Fused(string name, ReadOnlySpan<string> tensors, int inputs, ReadOnlySpan<int> outputs)
            {
                var blocks = new string[tensors.Length];
                var total = 0;
                for (var i = 0; i < tensors.Length; i++)
                {
                    blocks[i] = LlamaTensors.Block(layer, tensors[i]);
                    total += outputs[i];
                }

                return g.AddInitializer(p + name, LlamaTensors.ReadLinears(weights, blocks, inputs, outputs), type, inputs, total);
            }

            string Norm(string tensor) => g.AddInitializer(
                p + tensor, LlamaTensors.Read(weights, LlamaTensors.Block(layer, tensor), d), type, d);

            var normed = g.AddNode(
                "SimplifiedLayerNormalization", [hidden, Norm("attn_norm")], [p + "attn_norm_out"], "",
                A.Attribute("axis", -1L), epsilon, A.Attribute("stash_type", 1L));
            // Q, K and V in one MatMul: GroupQueryAttention takes them packed along the last axis.
            var qkv = g.AddNode("MatMul", [normed, Fused("attn_qkv", ["attn_q", "attn_k", "attn_v"], d, [nq * h, nkv * h, nkv * h])], [p + "qkv"]);
            var attention = g.AddNode(
                "GroupQueryAttention",
                [qkv, "", "", PastKey(layer), PastValue(layer), SeqlensK, TotalSequenceLength, "cos_cache", "sin_cache"],
                [p + "attn", PresentKey(layer), PresentValue(layer)],
                A.MicrosoftDomain,
                A.Attribute("num_heads", (long)nq),
                A.Attribute("kv_num_heads", (long)nkv),
                A.Attribute("scale", (float)(1.0 / Math.Sqrt(h))),
                A.Attribute("do_rotary", 1L),
                A.Attribute("rotary_interleaved", 1L));
            var projected = g.AddNode("MatMul", [attention, Linear("attn_output", nq * h, d)], [p + "attn_out"]);

            // Output 3 is hidden + attention: the residual the MLP adds onto.
            var ffnNormed = g.AddNode(
                "SkipSimplifiedLayerNormalization", [hidden, projected, Norm("ffn_norm")],
                [p + "ffn_norm_out", "", "", p + "residual"], A.MicrosoftDomain, epsilon);
            // Gate and up in one MatMul, split after: one pass over the normed input instead of two.
            var gateUp = g.AddNode("MatMul", [ffnNormed, Fused("ffn_gate_up", ["ffn_gate", "ffn_up"], d, [ffn, ffn])], [p + "gate_up"]);
            var gate = p + "gate";
            var up = p + "up";
            g.AddNode("Split", [gateUp, "ffn_split"], [gate, up], "", A.Attribute("axis", -1L));
            var sigmoid = g.AddNode("Sigmoid", [gate], [p + "gate_sigmoid"]);
            var silu = g.AddNode("Mul", [gate, sigmoid], [p + "gate_silu"]);
            var product = g.AddNode("Mul", [silu, up], [p + "swiglu"]);
            var down = g.AddNode("MatMul", [product, Linear("ffn_down", ffn, d)], [p + "down"]);
            hidden = g.AddNode("Add", [p + "residual", down], [layer == end - 1 ? HiddenStatesOut : p + "out"]);
        }

        g.AddOutput(HiddenStatesOut, type, "batch", "sequence_length", d);
        for (var layer = start; layer < end; layer++)
        {
            g.AddOutput(PresentKey(layer), type, "batch", nkv, "total_sequence_length", h);
            g.AddOutput(PresentValue(layer), type, "batch", nkv, "total_sequence_length", h);
        }

        return g;
    }

    private static string Name(string format, int layer) => string.Format(CultureInfo.InvariantCulture, format, layer);
}
