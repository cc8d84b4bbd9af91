// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using KwaaiNet.Inference.Model;

namespace KwaaiNet.Inference.Tests.Onnx;

/// <summary>
/// A plain fp32 Llama forward pass (double accumulation) to check the ONNX graphs against: embedding, decoder layers
/// with a KV cache, final norm and head. RoPE rotates adjacent pairs (2i, 2i+1) of each head by
/// pos · θ^(−2i/head_size) / rope_freqs[i], llama.cpp's convention for GGUF "llama" models. It shares no code with
/// the graph builders.
/// </summary>
internal sealed class LlamaReference(ILlamaWeights weights)
{
    private readonly LlamaConfig _config = weights.Config;

    /// <summary>Per model layer: the rotated keys and the values of every position so far, [kv_heads · head_size] each.</summary>
    public sealed class Cache
    {
        public Dictionary<int, (List<float[]> Keys, List<float[]> Values)> Layers { get; } = [];

        public int Length(int layer) => Layers.TryGetValue(layer, out var entry) ? entry.Keys.Count : 0;
    }

    public float[] Embed(ReadOnlySpan<long> ids)
    {
        var d = _config.HiddenSize;
        var table = weights.ReadFloat32("token_embd.weight");
        var output = new float[ids.Length * d];
        for (var t = 0; t < ids.Length; t++)
        {
            table.AsSpan(checked((int)ids[t]) * d, d).CopyTo(output.AsSpan(t * d, d));
        }

        return output;
    }

    public float[] Head(float[] hidden)
    {
        var d = _config.HiddenSize;
        var norm = weights.ReadFloat32("output_norm.weight");
        var head = weights.ReadFloat32(weights.Contains("output.weight") ? "output.weight" : "token_embd.weight");
        var tokens = hidden.Length / d;
        var logits = new float[tokens * _config.VocabSize];
        for (var t = 0; t < tokens; t++)
        {
            var normed = RmsNorm(hidden.AsSpan(t * d, d), norm);
            Linear(normed, head, _config.VocabSize).CopyTo(logits.AsSpan(t * _config.VocabSize));
        }

        return logits;
    }

    /// <summary>Runs layers [start, end) over <paramref name="hidden"/> ([tokens, hidden]), appending to the cache.</summary>
    public float[] Layers(float[] hidden, int start, int end, Cache cache)
    {
        var x = (float[])hidden.Clone();
        for (var layer = start; layer < end; layer++)
        {
            x = Layer(x, layer, cache);
        }

        return x;
    }

    private float[] Layer(float[] x, int layer, Cache cache)
    {
        int d = _config.HiddenSize, h = _config.HeadSize, nq = _config.HeadCount, nkv = _config.KvHeadCount;
        var tokens = x.Length / d;
        float[] W(string tensor) => weights.ReadFloat32(string.Create(CultureInfo.InvariantCulture, $"blk.{layer}.{tensor}.weight"));
        float[] attnNorm = W("attn_norm"), wq = W("attn_q"), wk = W("attn_k"), wv = W("attn_v"), wo = W("attn_output");
        float[] ffnNorm = W("ffn_norm"), wg = W("ffn_gate"), wu = W("ffn_up"), wd = W("ffn_down");
        if (!cache.Layers.TryGetValue(layer, out var kv))
        {
            kv = ([], []);
            cache.Layers[layer] = kv;
        }

        var output = new float[x.Length];
        for (var t = 0; t < tokens; t++)
        {
            var position = kv.Keys.Count;
            var row = x.AsSpan(t * d, d);
            var normed = RmsNorm(row, attnNorm);
            var q = Linear(normed, wq, nq * h);
            var k = Linear(normed, wk, nkv * h);
            var v = Linear(normed, wv, nkv * h);
            Rotate(q, nq, position);
            Rotate(k, nkv, position);
            kv.Keys.Add(k);
            kv.Values.Add(v);

            // Causal attention over positions [0, position]; query head j reads KV head j / (nq / nkv).
            var attention = new float[nq * h];
            var scale = 1.0 / Math.Sqrt(h);
            for (var head = 0; head < nq; head++)
            {
                var kvHead = head / (nq / nkv);
                var scores = new double[position + 1];
                var max = double.NegativeInfinity;
                for (var p = 0; p <= position; p++)
                {
                    double dot = 0;
                    for (var i = 0; i < h; i++)
                    {
                        dot += (double)q[(head * h) + i] * kv.Keys[p][(kvHead * h) + i];
                    }

                    scores[p] = dot * scale;
                    max = Math.Max(max, scores[p]);
                }

                double sum = 0;
                for (var p = 0; p <= position; p++)
                {
                    scores[p] = Math.Exp(scores[p] - max);
                    sum += scores[p];
                }

                for (var i = 0; i < h; i++)
                {
                    double acc = 0;
                    for (var p = 0; p <= position; p++)
                    {
                        acc += scores[p] / sum * kv.Values[p][(kvHead * h) + i];
                    }

                    attention[(head * h) + i] = (float)acc;
                }
            }

            var projected = Linear(attention, wo, d);
            var residual = new float[d];
            for (var i = 0; i < d; i++)
            {
                residual[i] = row[i] + projected[i];
            }

            var normed2 = RmsNorm(residual, ffnNorm);
            var gate = Linear(normed2, wg, _config.IntermediateSize);
            var up = Linear(normed2, wu, _config.IntermediateSize);
            for (var i = 0; i < gate.Length; i++)
            {
                gate[i] = (float)(gate[i] / (1 + Math.Exp(-gate[i])) * up[i]);
            }

            var down = Linear(gate, wd, d);
            for (var i = 0; i < d; i++)
            {
                output[(t * d) + i] = residual[i] + down[i];
            }
        }

        return output;
    }

    private void Rotate(float[] vector, int heads, int position)
    {
        var h = _config.HeadSize;
        var divisors = weights.Contains("rope_freqs.weight") ? weights.ReadFloat32("rope_freqs.weight") : null;
        for (var head = 0; head < heads; head++)
        {
            for (var i = 0; i < h / 2; i++)
            {
                var angle = position * Math.Pow(_config.RopeTheta, -2.0 * i / h) / (divisors?[i] ?? 1.0);
                var (sin, cos) = Math.SinCos(angle);
                var a = (head * h) + (2 * i);
                double x0 = vector[a], x1 = vector[a + 1];
                vector[a] = (float)((x0 * cos) - (x1 * sin));
                vector[a + 1] = (float)((x0 * sin) + (x1 * cos));
            }
        }
    }

    private float[] RmsNorm(ReadOnlySpan<float> x, float[] gamma)
    {
        double squares = 0;
        foreach (var value in x)
        {
            squares += (double)value * value;
        }

        var inverse = 1.0 / Math.Sqrt((squares / x.Length) + _config.RmsNormEpsilon);
        var output = new float[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            output[i] = (float)(x[i] * inverse * gamma[i]);
        }

        return output;
    }

    /// <summary>y = W·x with a ggml weight ne = [in, out] (row-major [out][in]).</summary>
    private static float[] Linear(ReadOnlySpan<float> x, float[] weight, int outputs)
    {
        var inputs = x.Length;
        Assert.Equal(inputs * outputs, weight.Length);
        var y = new float[outputs];
        for (var o = 0; o < outputs; o++)
        {
            double acc = 0;
            var row = weight.AsSpan(o * inputs, inputs);
            for (var i = 0; i < inputs; i++)
            {
                acc += (double)row[i] * x[i];
            }

            y[o] = (float)acc;
        }

        return y;
    }
}
