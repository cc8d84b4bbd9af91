// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using BenchmarkDotNet.Attributes;
using KwaaiNet.Inference.Generation;

namespace KwaaiNet.Benchmarks.Micro.Inference;

/// <summary>
/// Choosing one token from a vocabulary's logits, once per generated token: Llama-2's 32,000 and Llama-3's 128,256
/// entries. Each call first copies fresh logits (the sampler overwrites them with the repetition penalty), greedy
/// included, so the rows compare the sampling itself.
/// </summary>
[MemoryDiagnoser]
public class TokenSamplerBenchmarks
{
    private readonly int[] _history = new int[512];
    private float[] _source = [];
    private float[] _logits = [];
    private TokenSampler _greedy = null!;
    private TokenSampler _plain = null!;
    private TokenSampler _topK = null!;
    private TokenSampler _topP = null!;
    private TokenSampler _everything = null!;

    /// <summary>Vocabulary size.</summary>
    [Params(32_000, 128_256)]
    public int Vocabulary { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _source = [.. Enumerable.Range(0, Vocabulary).Select(_ => (random.NextSingle() * 20) - 10)];
        _logits = new float[Vocabulary];
        for (var i = 0; i < _history.Length; i++)
        {
            _history[i] = random.Next(Vocabulary);
        }

        _greedy = new TokenSampler(SamplingOptions.Greedy);
        _plain = new TokenSampler(new SamplingOptions { Temperature = 0.8f, Seed = 1 });
        _topK = new TokenSampler(new SamplingOptions { Temperature = 0.8f, TopK = 40, Seed = 1 });
        _topP = new TokenSampler(new SamplingOptions { Temperature = 0.8f, TopP = 0.9f, Seed = 1 });
        _everything = new TokenSampler(new SamplingOptions { Temperature = 0.8f, TopK = 40, TopP = 0.9f, RepetitionPenalty = 1.1f, Seed = 1 });
    }

    [Benchmark(Baseline = true)]
    public int Greedy() => Sample(_greedy);

    [Benchmark]
    public int Temperature() => Sample(_plain);

    [Benchmark]
    public int TopK40() => Sample(_topK);

    [Benchmark]
    public int TopP09() => Sample(_topP);

    [Benchmark]
    public int TopK40TopP09Penalty512() => Sample(_everything);

    private int Sample(TokenSampler sampler)
    {
        _source.CopyTo(_logits, 0);
        return sampler.Next(_logits, _history);
    }
}
