// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Model;

namespace KwaaiNet.Testing.Inference;

/// <summary>
/// Writes a tiny random Llama model as GGUF (seeded), with the metadata and SentencePiece-style tokenizer section
/// llama.cpp needs: <c>&lt;unk&gt;</c>, <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>, the 256 byte tokens <c>&lt;0x00&gt;</c>..,
/// then plain tokens up to the vocabulary size.
/// </summary>
public static class TinyLlamaGguf
{
    /// <summary>259 special and byte tokens plus 13 plain ones; 2 layers of width 64 with grouped-query attention.</summary>
    public static LlamaConfig Default { get; } = new(
        VocabSize: 272, HiddenSize: 64, IntermediateSize: 128, LayerCount: 2, HeadCount: 4, KvHeadCount: 2,
        RmsNormEpsilon: 1e-5f, RopeTheta: 10_000f, ContextLength: 128);

    /// <summary>A shape whose matrix rows are whole Q4_K/Q6_K blocks (256 values).</summary>
    public static LlamaConfig KQuant { get; } = Default with { HiddenSize = 256, IntermediateSize = 256 };

    /// <summary>The tensor names of a model with that many layers (<c>output.weight</c> included).</summary>
    public static IEnumerable<string> TensorNames(int layers)
    {
        yield return "token_embd.weight";
        yield return "output_norm.weight";
        yield return "output.weight";
        for (var i = 0; i < layers; i++)
        {
            foreach (var t in BlockTensors)
            {
                yield return $"blk.{i}.{t}.weight";
            }
        }
    }

    private static readonly string[] BlockTensors =
        ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"];

    /// <summary>
    /// Builds the model; matrices are encoded as <paramref name="type"/>, norms stay F32 (as in real files). Returns the
    /// writer and the fp32 values each tensor was built from.
    /// </summary>
    public static (GgufWriter Writer, Dictionary<string, float[]> Values) Build(GgmlType type, int seed = 1, LlamaConfig? config = null)
    {
        var c = config ?? Default;
        var random = new Random(seed);
        var w = new GgufWriter();
        w.AddString("general.architecture", "llama")
            .AddString("general.name", "kwaainet-tiny-llama")
            .AddUInt32("general.file_type", type switch { GgmlType.F32 => 0u, GgmlType.F16 => 1u, GgmlType.Q8_0 => 7u, GgmlType.Q4_K => 15u, _ => 0u })
            .AddUInt32("llama.context_length", (uint)c.ContextLength)
            .AddUInt32("llama.embedding_length", (uint)c.HiddenSize)
            .AddUInt32("llama.block_count", (uint)c.LayerCount)
            .AddUInt32("llama.feed_forward_length", (uint)c.IntermediateSize)
            .AddUInt32("llama.rope.dimension_count", (uint)c.HeadSize)
            .AddUInt32("llama.attention.head_count", (uint)c.HeadCount)
            .AddUInt32("llama.attention.head_count_kv", (uint)c.KvHeadCount)
            .AddFloat32("llama.attention.layer_norm_rms_epsilon", c.RmsNormEpsilon)
            .AddFloat32("llama.rope.freq_base", c.RopeTheta);
        AddTokenizer(w, c.VocabSize);

        var values = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var kvDim = (ulong)(c.KvHeadCount * c.HeadSize);
        var hidden = (ulong)c.HiddenSize;
        var ff = (ulong)c.IntermediateSize;
        // Norm weights are 1 ± 0.1, matrices uniform in ±scale.
        void Add(string name, GgmlType t, float scale, params ulong[] ne)
        {
            var n = 1;
            foreach (var d in ne)
            {
                n *= (int)d;
            }

            var data = new float[n];
            for (var i = 0; i < n; i++)
            {
                var u = (2 * random.NextSingle()) - 1;
                data[i] = scale == 0 ? 1 + (0.1f * u) : scale * u;
            }

            values[name] = data;
            w.AddTensor(name, data, ne, t);
        }

        Add("token_embd.weight", type, 1f, hidden, (ulong)c.VocabSize);
        Add("output_norm.weight", GgmlType.F32, 0, hidden);
        Add("output.weight", type, 0.2f, hidden, (ulong)c.VocabSize);
        for (var i = 0; i < c.LayerCount; i++)
        {
            Add($"blk.{i}.attn_norm.weight", GgmlType.F32, 0, hidden);
            Add($"blk.{i}.attn_q.weight", type, 0.2f, hidden, hidden);
            Add($"blk.{i}.attn_k.weight", type, 0.2f, hidden, kvDim);
            Add($"blk.{i}.attn_v.weight", type, 0.2f, hidden, kvDim);
            Add($"blk.{i}.attn_output.weight", type, 0.2f, hidden, hidden);
            Add($"blk.{i}.ffn_norm.weight", GgmlType.F32, 0, hidden);
            Add($"blk.{i}.ffn_gate.weight", type, 0.2f, hidden, ff);
            Add($"blk.{i}.ffn_up.weight", type, 0.2f, hidden, ff);
            Add($"blk.{i}.ffn_down.weight", type, 0.2f, ff, hidden);
        }

        return (w, values);
    }

    /// <summary>Writes the model to <paramref name="path"/>.</summary>
    public static Dictionary<string, float[]> Write(string path, GgmlType type, int seed = 1, LlamaConfig? config = null)
    {
        var (writer, values) = Build(type, seed, config);
        writer.WriteTo(path);
        return values;
    }

    // SentencePiece token types as llama.cpp numbers them: 1 normal, 2 unknown, 3 control, 6 byte.
    private static void AddTokenizer(GgufWriter w, int vocabSize)
    {
        const int Specials = 3;
        if (vocabSize < Specials + 256)
        {
            throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, "the byte tokens need a vocabulary of at least 259");
        }

        var tokens = new string[vocabSize];
        var scores = new float[vocabSize];
        var types = new int[vocabSize];
        (tokens[0], types[0]) = ("<unk>", 2);
        (tokens[1], types[1]) = ("<s>", 3);
        (tokens[2], types[2]) = ("</s>", 3);
        for (var b = 0; b < 256; b++)
        {
            tokens[Specials + b] = $"<0x{b:X2}>";
            types[Specials + b] = 6;
        }

        for (var i = Specials + 256; i < vocabSize; i++)
        {
            tokens[i] = "\u2581t" + (i - Specials - 256).ToString(System.Globalization.CultureInfo.InvariantCulture);
            types[i] = 1;
            scores[i] = -(i - Specials - 256);
        }

        w.AddString("tokenizer.ggml.model", "llama")
            .AddStringArray("tokenizer.ggml.tokens", tokens)
            .AddFloat32Array("tokenizer.ggml.scores", scores)
            .AddInt32Array("tokenizer.ggml.token_type", types)
            .AddUInt32("tokenizer.ggml.unknown_token_id", 0)
            .AddUInt32("tokenizer.ggml.bos_token_id", 1)
            .AddUInt32("tokenizer.ggml.eos_token_id", 2);
    }
}
