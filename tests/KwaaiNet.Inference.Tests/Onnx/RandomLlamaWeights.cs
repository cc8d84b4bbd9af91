// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using KwaaiNet.Inference.Model;

namespace KwaaiNet.Inference.Tests.Onnx;

/// <summary>
/// An in-memory Llama model with seeded random weights in ggml order (a linear weight has ne = [in, out], stored
/// row-major [out][in]). Tensors can be removed or replaced to build bad models.
/// </summary>
internal sealed class RandomLlamaWeights : ILlamaWeights
{
    private readonly Dictionary<string, (long[] Shape, float[] Data)> _tensors = new(StringComparer.Ordinal);

    public RandomLlamaWeights(LlamaConfig config, int seed, bool tiedHead = false, bool ropeFrequencies = false)
    {
        Config = config;
        var random = new Random(seed);
        int d = config.HiddenSize, h = config.HeadSize, ffn = config.IntermediateSize;
        int q = config.HeadCount * h, kv = config.KvHeadCount * h;

        Add("token_embd.weight", random, 1f, d, config.VocabSize);
        Add("output_norm.weight", random, 0.2f, d, offset: 1f);
        if (!tiedHead)
        {
            Add("output.weight", random, 1f / MathF.Sqrt(d), d, config.VocabSize);
        }

        if (ropeFrequencies)
        {
            Add("rope_freqs.weight", random, 1.5f, h / 2, offset: 2f);   // divisors in [0.5, 3.5]
        }

        for (var layer = 0; layer < config.LayerCount; layer++)
        {
            string Name(string tensor) => string.Create(CultureInfo.InvariantCulture, $"blk.{layer}.{tensor}.weight");

            Add(Name("attn_norm"), random, 0.2f, d, offset: 1f);
            // Larger Q/K weights make the attention peaked, so a wrong position or head mapping shows.
            Add(Name("attn_q"), random, 2f / MathF.Sqrt(d), d, q);
            Add(Name("attn_k"), random, 2f / MathF.Sqrt(d), d, kv);
            Add(Name("attn_v"), random, 1f / MathF.Sqrt(d), d, kv);
            Add(Name("attn_output"), random, 1f / MathF.Sqrt(q), q, d);
            Add(Name("ffn_norm"), random, 0.2f, d, offset: 1f);
            Add(Name("ffn_gate"), random, 1f / MathF.Sqrt(d), d, ffn);
            Add(Name("ffn_up"), random, 1f / MathF.Sqrt(d), d, ffn);
            Add(Name("ffn_down"), random, 1f / MathF.Sqrt(ffn), ffn, d);
        }
    }

    public LlamaConfig Config { get; }

    public bool Contains(string name) => _tensors.ContainsKey(name);

    public IReadOnlyList<long> Shape(string name) => Get(name).Shape;

    public float[] ReadFloat32(string name) => (float[])Get(name).Data.Clone();

    public void Remove(string name) => Assert.True(_tensors.Remove(name), name);

    public void Replace(string name, long[] shape, float[] data) => _tensors[name] = (shape, data);

    private (long[] Shape, float[] Data) Get(string name) =>
        _tensors.TryGetValue(name, out var tensor) ? tensor : throw new KeyNotFoundException(name);

    private void Add(string name, Random random, float amplitude, int ne0, int ne1 = 1, float offset = 0f)
    {
        var data = new float[ne0 * ne1];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = offset + (amplitude * ((2 * random.NextSingle()) - 1));
        }

        _tensors[name] = (ne1 == 1 ? [ne0] : [ne0, ne1], data);
    }
}
