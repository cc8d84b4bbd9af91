// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using KwaaiNet.Inference.Model;
using DataType = KwaaiNet.Inference.Protos.TensorProto.Types.DataType;

namespace KwaaiNet.Inference.Onnx;

/// <summary>
/// Reads and checks a Llama model's tensors for the graph builders: every tensor must exist with the shape the
/// <see cref="LlamaConfig"/> implies, and linear weights are transposed from ggml's row-major <c>[out][in]</c> to the
/// <c>[in, out]</c> that ONNX MatMul takes.
/// </summary>
internal static class LlamaTensors
{
    /// <summary>The largest position table built for the rotary caches (1,048,576 positions).</summary>
    public const int MaxSequenceLength = 1 << 20;

    public const string TokenEmbedding = "token_embd.weight";
    public const string OutputNorm = "output_norm.weight";
    public const string Output = "output.weight";
    public const string RopeFrequencies = "rope_freqs.weight";

    public static string Block(int layer, string tensor) =>
        string.Create(CultureInfo.InvariantCulture, $"blk.{layer}.{tensor}.weight");

    public static DataType ElementType(LlamaGraphPrecision precision) => precision switch
    {
        LlamaGraphPrecision.Fp32 => DataType.Float,
        LlamaGraphPrecision.Fp16 => DataType.Float16,
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "not a graph precision"),
    };

    /// <summary>Checks the shape values a graph depends on.</summary>
    public static void Validate(LlamaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Positive(config.VocabSize, nameof(config.VocabSize));
        Positive(config.HiddenSize, nameof(config.HiddenSize));
        Positive(config.IntermediateSize, nameof(config.IntermediateSize));
        Positive(config.LayerCount, nameof(config.LayerCount));
        Positive(config.HeadCount, nameof(config.HeadCount));
        Positive(config.KvHeadCount, nameof(config.KvHeadCount));
        Positive(config.ContextLength, nameof(config.ContextLength));
        if (!(config.RmsNormEpsilon > 0 && float.IsFinite(config.RmsNormEpsilon)))
        {
            throw new InvalidDataException($"the RMSNorm epsilon must be positive and finite, not {config.RmsNormEpsilon}");
        }

        if (!(config.RopeTheta > 1 && float.IsFinite(config.RopeTheta)))
        {
            throw new InvalidDataException($"the RoPE base (rope.freq_base) must be finite and above 1, not {config.RopeTheta}");
        }

        if (config.HiddenSize % config.HeadCount != 0)
        {
            throw new InvalidDataException(
                $"the hidden size {config.HiddenSize} is not a multiple of the head count {config.HeadCount}");
        }

        if (config.HeadCount % config.KvHeadCount != 0)
        {
            throw new InvalidDataException(
                $"the head count {config.HeadCount} is not a multiple of the KV head count {config.KvHeadCount}");
        }

        // Checked products: every tensor the graphs read must fit one .NET array.
        _ = Elements(config.VocabSize, config.HiddenSize);
        _ = Elements(config.IntermediateSize, config.HiddenSize);
    }

    /// <summary>Checks what GroupQueryAttention on the CPU provider accepts.</summary>
    public static void ValidateAttention(LlamaConfig config)
    {
        if (config.HeadSize % 16 != 0)
        {
            throw new NotSupportedException(
                $"head size {config.HeadSize} ({config.HiddenSize} / {config.HeadCount} heads) is not a multiple of 16: ONNX Runtime's CPU GroupQueryAttention kernel requires head_size % 16 == 0");
        }
    }

    /// <summary>The number of cached positions: <paramref name="requested"/> or the model's context length.</summary>
    public static int SequenceLength(LlamaConfig config, int? requested)
    {
        var length = requested ?? config.ContextLength;
        if (length < 1 || length > MaxSequenceLength)
        {
            throw new ArgumentOutOfRangeException(
                nameof(requested), length, $"the rotary cache covers 1 to {MaxSequenceLength} positions");
        }

        return length;
    }

    /// <summary>A tensor that must exist with exactly the ggml shape <paramref name="ne"/>.</summary>
    public static float[] Read(ILlamaWeights weights, string name, params ReadOnlySpan<long> ne)
    {
        if (!weights.Contains(name))
        {
            throw new InvalidDataException($"the model has no tensor {name}");
        }

        var shape = weights.Shape(name);
        if (!shape.SequenceEqual(ne.ToArray()))
        {
            throw new InvalidDataException(
                $"tensor {name} has shape [{string.Join(", ", shape)}], expected [{string.Join(", ", ne.ToArray())}] (ggml order)");
        }

        var data = weights.ReadFloat32(name);
        var expected = Elements(ne);
        if (data.Length != expected)
        {
            throw new InvalidDataException($"tensor {name} yielded {data.Length} values, its shape holds {expected}");
        }

        return data;
    }

    /// <summary>A linear weight with ggml shape <c>[in, out]</c>, transposed to ONNX's row-major <c>[in, out]</c>.</summary>
    public static float[] ReadLinear(ILlamaWeights weights, string name, int inputs, int outputs)
    {
        var rows = Read(weights, name, inputs, outputs);     // row-major [out][in]
        var transposed = new float[rows.Length];
        for (var o = 0; o < outputs; o++)
        {
            var row = rows.AsSpan(o * inputs, inputs);
            for (var i = 0; i < inputs; i++)
            {
                transposed[(i * outputs) + o] = row[i];
            }
        }

        return transposed;
    }

    /// <summary>
    /// Several linear weights that read the same input, each with ggml shape <c>[in, outputs[i]]</c>, as one ONNX
    /// <c>[in, Σ outputs]</c> matrix: the columns of the first, then the second, and so on. One MatMul over it equals
    /// the separate MatMuls side by side, and reads the input once.
    /// </summary>
    public static float[] ReadLinears(ILlamaWeights weights, ReadOnlySpan<string> names, int inputs, ReadOnlySpan<int> outputs)
    {
        if (names.Length != outputs.Length)
        {
            throw new ArgumentException("one output width per tensor", nameof(outputs));
        }

        var total = 0;
        foreach (var width in outputs)
        {
            total = checked(total + width);
        }

        var fused = new float[Elements(inputs, total)];
        var column = 0;
        for (var t = 0; t < names.Length; t++)
        {
            var rows = Read(weights, names[t], inputs, outputs[t]);     // row-major [out][in]
            for (var o = 0; o < outputs[t]; o++)
            {
                var row = rows.AsSpan(o * inputs, inputs);
                for (var i = 0; i < inputs; i++)
                {
                    fused[(i * total) + column + o] = row[i];
                }
            }

            column += outputs[t];
        }

        return fused;
    }

    /// <summary>
    /// The rotary cos/sin tables, <c>[positions, head_size / 2]</c>: angle(p, i) = p · θ^(−2i/d) / f_i, where θ is
    /// <c>rope.freq_base</c> and f_i the optional per-pair divisors of <c>rope_freqs.weight</c> (Llama-3.1 scaling),
    /// as llama.cpp applies them. Pair i is elements (2i, 2i+1) of a head: GGUF's Q/K rows are ordered for that
    /// adjacent-pair rotation, hence <c>rotary_interleaved = 1</c>.
    /// </summary>
    public static (float[] Cos, float[] Sin) RotaryCaches(ILlamaWeights weights, int positions)
    {
        var config = weights.Config;
        var half = config.HeadSize / 2;
        float[]? divisors = weights.Contains(RopeFrequencies) ? Read(weights, RopeFrequencies, half) : null;
        var inverse = new double[half];
        for (var i = 0; i < half; i++)
        {
            inverse[i] = Math.Pow(config.RopeTheta, -2.0 * i / config.HeadSize);
            if (divisors is not null)
            {
                if (!(divisors[i] > 0 && float.IsFinite(divisors[i])))
                {
                    throw new InvalidDataException($"{RopeFrequencies}[{i}] = {divisors[i]} is not a positive divisor");
                }

                inverse[i] /= divisors[i];
            }
        }

        var cos = new float[Elements(positions, half)];
        var sin = new float[cos.Length];
        for (var p = 0; p < positions; p++)
        {
            for (var i = 0; i < half; i++)
            {
                var angle = p * inverse[i];
                cos[(p * half) + i] = (float)Math.Cos(angle);
                sin[(p * half) + i] = (float)Math.Sin(angle);
            }
        }

        return (cos, sin);
    }

    private static int Elements(params ReadOnlySpan<long> dims)
    {
        long count = 1;
        foreach (var dim in dims)
        {
            count = checked(count * dim);
            if (count > Array.MaxLength)
            {
                throw new InvalidDataException($"a tensor of shape [{string.Join(", ", dims.ToArray())}] is too large for one array");
            }
        }

        return (int)count;
    }

    private static void Positive(int value, string name)
    {
        if (value <= 0)
        {
            throw new InvalidDataException($"the model's {name} must be positive, not {value}");
        }
    }
}
