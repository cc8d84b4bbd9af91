// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using System.Numerics.Tensors;
using System.Security.Cryptography;

namespace KwaaiNet.Inference.Generation;

/// <summary>
/// Chooses the next token from a model's logits in the order Hugging Face <c>generate</c> applies its processors
/// (<c>transformers/generation/logits_process.py</c>, what Petals clients run): repetition penalty, then either greedy
/// argmax (temperature 0) or temperature, top-k, top-p and a draw from the renormalised distribution.
/// </summary>
/// <remarks>
/// Draws come from <see cref="Xoshiro256StarStar"/> seeded with <see cref="SamplingOptions.Seed"/> (SplitMix64 expands
/// the 64-bit seed), so the same seed and the same logits give the same tokens on every runtime. One sampler serves one
/// sequence at a time: it is not thread-safe, and it reuses its buffers (grown to the vocabulary once) across calls.
/// </remarks>
public sealed class TokenSampler
{
    private readonly SamplingOptions _options;
    private Xoshiro256StarStar _random;
    private ulong[] _order = [];
    private float[] _weights = [];
    private bool[] _seen = [];

    /// <summary>Creates a sampler; a null <see cref="SamplingOptions.Seed"/> takes a random one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public TokenSampler(SamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _random = new Xoshiro256StarStar(options.Seed ?? RandomSeed());
    }

    /// <summary>The options the sampler applies.</summary>
    public SamplingOptions Options => _options;

    /// <summary>Chooses the next token.</summary>
    /// <param name="logits">
    /// One logit per vocabulary entry. Overwritten: the repetition penalty is applied in place. <c>-∞</c> marks a token
    /// that must not be chosen.
    /// </param>
    /// <param name="history">The sequence so far (prompt and generated tokens), for the repetition penalty.</param>
    /// <returns>The chosen token id.</returns>
    /// <exception cref="ArgumentException">
    /// The logits are empty, hold NaN or <c>+∞</c>, or are all <c>-∞</c>; or a history id is outside the vocabulary.
    /// </exception>
    public int Next(Span<float> logits, ReadOnlySpan<int> history)
    {
        if (logits.IsEmpty)
        {
            throw new ArgumentException("there are no logits to sample from", nameof(logits));
        }

        if (_options.RepetitionPenalty != 1f)
        {
            Penalize(logits, history);
        }

        var (best, candidates) = Check(logits);
        if (_options.Temperature == 0)
        {
            return best;
        }

        var weights = Weights(logits, logits[best]);
        var topK = _options.TopK > 0 && _options.TopK < candidates ? _options.TopK : 0;
        return topK == 0 && _options.TopP >= 1f ? DrawAll(weights) : DrawRanked(logits, weights, topK);
    }

    private static ulong RandomSeed()
    {
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt64(bytes);
    }

    /// <summary>
    /// A key whose ascending order is descending logit, then ascending id: the float's bits mapped to an order-preserving
    /// unsigned integer, inverted, in the high half; the id in the low half. Sorting keys needs no comparer delegate and
    /// breaks ties the same way every time.
    /// </summary>
    private static ulong RankKey(float logit, int id)
    {
        var bits = BitConverter.SingleToUInt32Bits(logit + 0f);   // + 0 turns -0 into +0
        var ordered = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
        return ((ulong)~ordered << 32) | (uint)id;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The CTRL repetition penalty (Keskar et al. 2019, arXiv:1909.05858), as Hugging Face's
    /// <c>RepetitionPenaltyLogitsProcessor</c> applies it: each DISTINCT token of the sequence once (its gather/scatter
    /// reads every logit before writing any), a positive logit divided by the penalty and any other multiplied, so a
    /// penalty above 1 always makes the token less likely.
    /// </summary>
    private void Penalize(Span<float> logits, ReadOnlySpan<int> history)
    {
        var penalty = _options.RepetitionPenalty;
        var seen = Buffer(ref _seen, logits.Length);
        try
        {
            foreach (var id in history)
            {
                if ((uint)id >= (uint)logits.Length)
                {
                    throw new ArgumentException(
                        Invariant($"history holds token id {id}, outside the vocabulary of {logits.Length} logits"), nameof(history));
                }

                if (!seen[id])
                {
                    seen[id] = true;
                    logits[id] = logits[id] > 0 ? logits[id] / penalty : logits[id] * penalty;
                }
            }
        }
        finally
        {
            foreach (var id in history)
            {
                if ((uint)id < (uint)seen.Length)
                {
                    seen[id] = false;
                }
            }
        }
    }

    /// <summary>The argmax (lowest id on ties) and the number of tokens that can be chosen (not <c>-∞</c>).</summary>
    private static (int Best, int Candidates) Check(ReadOnlySpan<float> logits)
    {
        var best = -1;
        var candidates = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            var logit = logits[i];
            if (float.IsNaN(logit) || float.IsPositiveInfinity(logit))
            {
                throw new ArgumentException(
                    Invariant($"logit {i} is {(float.IsNaN(logit) ? "NaN" : "+inf")}; the model's output is broken (a softmax needs finite logits or -inf)"), nameof(logits));
            }

            if (float.IsNegativeInfinity(logit))
            {
                continue;
            }

            candidates++;
            if (best < 0 || logit > logits[best])
            {
                best = i;
            }
        }

        return best < 0
            ? throw new ArgumentException("every logit is -inf: no token can be chosen", nameof(logits))
            : (best, candidates);
    }

    /// <summary>
    /// Each token's weight in softmax(logits / T), relative to the largest: <c>exp((logit - max) / T)</c>, vectorised,
    /// 0 for <c>-∞</c>. Subtracting before dividing never overflows, even for a tiny temperature, and equals Hugging
    /// Face's <c>TemperatureLogitsWarper</c> followed by a softmax.
    /// </summary>
    private Span<float> Weights(ReadOnlySpan<float> logits, float max)
    {
        var weights = Buffer(ref _weights, logits.Length).AsSpan(0, logits.Length);
        TensorPrimitives.Subtract(logits, max, weights);
        TensorPrimitives.Divide(weights, _options.Temperature, weights);
        TensorPrimitives.Exp(weights, weights);
        return weights;
    }

    /// <summary>Draws from the softmax over every token (no top-k or top-p): no ranking needed.</summary>
    private int DrawAll(ReadOnlySpan<float> weights)
    {
        var total = Sum(weights);
        var target = _random.NextDouble() * total;
        double cumulative = 0;
        var last = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            if (weights[i] > 0)
            {
                cumulative += weights[i];
                last = i;
                if (target < cumulative)
                {
                    return i;
                }
            }
        }

        return last;   // rounding left the target at the very top
    }

    /// <summary>
    /// Ranks the candidates (descending logit, ascending id on ties), applies top-k then top-p, and draws from what is
    /// left. Only the tokens that can matter are sorted: the k best for top-k, otherwise a prefix of the ranking that
    /// already holds the nucleus.
    /// </summary>
    private int DrawRanked(ReadOnlySpan<float> logits, ReadOnlySpan<float> weights, int topK)
    {
        // Top-k, Hugging Face's TopKLogitsWarper: the k largest. Hugging Face also keeps every token tied with the k-th
        // (it removes only logits below the k-th value); we keep exactly k, the lowest ids among ties, so top-k 1 is
        // the same token as greedy decoding.
        double total;
        Span<ulong> ranked;
        if (topK > 0)
        {
            ranked = SelectTopK(logits, topK);
            total = 0;
            foreach (var key in ranked)
            {
                total += weights[(int)(uint)key];
            }
        }
        else
        {
            total = Sum(weights);
            ranked = SelectNucleusPrefix(logits, weights, _options.TopP * total);
        }

        ranked.Sort();
        var kept = ranked.Length;

        // Top-p, Hugging Face's TopPLogitsWarper over the softmax of what top-k left: the smallest prefix of the ranking
        // whose probability reaches p, at least one token. Hugging Face removes the tokens whose ascending cumulative
        // probability is <= 1 - p, which keeps the same set.
        if (_options.TopP < 1f)
        {
            var threshold = _options.TopP * total;
            double cumulative = 0;
            var r = 0;
            while (r < kept)
            {
                cumulative += weights[(int)(uint)ranked[r++]];
                if (cumulative >= threshold)
                {
                    break;
                }
            }

            kept = r;
            total = cumulative;
        }

        var target = _random.NextDouble() * total;
        double sum = 0;
        for (var r = 0; r < kept; r++)
        {
            sum += weights[(int)(uint)ranked[r]];
            if (target < sum)
            {
                return (int)(uint)ranked[r];
            }
        }

        return (int)(uint)ranked[kept - 1];   // rounding left the target at the very top
    }

    /// <summary>The rank keys of the <paramref name="k"/> best tokens, unordered: a max-heap of the k smallest keys.</summary>
    private Span<ulong> SelectTopK(ReadOnlySpan<float> logits, int k)
    {
        var heap = Buffer(ref _order, k).AsSpan(0, k);
        var count = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            // Most tokens lose to the worst one kept on the logit alone (ties go on to the key, which adds the id).
            if (float.IsNegativeInfinity(logits[i]) || (count == k && logits[i] < logits[(int)(uint)heap[0]]))
            {
                continue;
            }

            var key = RankKey(logits[i], i);
            if (count < k)
            {
                // Sift up.
                var child = count++;
                while (child > 0 && heap[(child - 1) / 2] < key)
                {
                    heap[child] = heap[(child - 1) / 2];
                    child = (child - 1) / 2;
                }

                heap[child] = key;
            }
            else if (key < heap[0])
            {
                // Replace the worst kept key and sift down.
                var parent = 0;
                while (true)
                {
                    var child = (2 * parent) + 1;
                    if (child >= k)
                    {
                        break;
                    }

                    if (child + 1 < k && heap[child + 1] > heap[child])
                    {
                        child++;
                    }

                    if (heap[child] <= key)
                    {
                        break;
                    }

                    heap[parent] = heap[child];
                    parent = child;
                }

                heap[parent] = key;
            }
        }

        return heap[..count];
    }

    /// <summary>
    /// The rank keys of every token whose weight is at least some threshold, lowered until their mass reaches
    /// <paramref name="mass"/>. Such a set is a prefix of the ranking (weight grows with the logit), so it holds the
    /// nucleus; a peaked distribution then sorts a few hundred tokens instead of the whole vocabulary.
    /// </summary>
    private Span<ulong> SelectNucleusPrefix(ReadOnlySpan<float> logits, ReadOnlySpan<float> weights, double mass)
    {
        var keys = Buffer(ref _order, logits.Length);
        for (var threshold = 1e-3f; ; threshold = threshold > 1e-12f ? threshold * 1e-3f : 0)
        {
            var count = 0;
            double sum = 0;
            for (var i = 0; i < weights.Length; i++)
            {
                // Weight 0 (-inf, or underflowed) can never be drawn; the last pass takes every other token, whose
                // mass is the whole total.
                if (weights[i] >= threshold && weights[i] > 0)
                {
                    keys[count++] = RankKey(logits[i], i);
                    sum += weights[i];
                }
            }

            if (sum >= mass || threshold == 0)
            {
                return keys.AsSpan(0, count);
            }
        }
    }

    /// <summary>The weights' sum in double, in id order (so every pass over all of them adds up to the same total).</summary>
    private static double Sum(ReadOnlySpan<float> weights)
    {
        double total = 0;
        foreach (var w in weights)
        {
            total += w;
        }

        return total;
    }

    private static T[] Buffer<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new T[length];
        }

        return buffer;
    }
}
