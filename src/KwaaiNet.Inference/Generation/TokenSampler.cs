// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
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
    private double[] _weights = [];
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

        var topK = _options.TopK;
        return (topK > 0 && topK < candidates) || _options.TopP < 1f
            ? DrawRanked(logits, logits[best], candidates)
            : DrawAll(logits, logits[best]);
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
    /// The weight of a logit in softmax(logits / T), relative to the largest: <c>exp((logit - max) / T)</c> in double.
    /// Subtracting before dividing never overflows, even for a tiny temperature, and equals Hugging Face's
    /// <c>TemperatureLogitsWarper</c> followed by a softmax.
    /// </summary>
    private double Weight(float logit, float max) => Math.Exp(((double)logit - max) / _options.Temperature);

    /// <summary>Draws from the softmax over every token (no top-k or top-p): no sort needed.</summary>
    private int DrawAll(ReadOnlySpan<float> logits, float max)
    {
        var weights = Buffer(ref _weights, logits.Length);
        double total = 0;
        var last = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            var w = float.IsNegativeInfinity(logits[i]) ? 0 : Weight(logits[i], max);
            weights[i] = w;
            total += w;
            if (w > 0)
            {
                last = i;
            }
        }

        var target = _random.NextDouble() * total;
        double cumulative = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            cumulative += weights[i];
            if (weights[i] > 0 && target < cumulative)
            {
                return i;
            }
        }

        return last;   // rounding left the target at the very top
    }

    /// <summary>
    /// Ranks the candidates (descending logit, ascending id on ties), applies top-k then top-p, and draws from what is
    /// left.
    /// </summary>
    private int DrawRanked(ReadOnlySpan<float> logits, float max, int candidates)
    {
        var order = Buffer(ref _order, logits.Length).AsSpan(0, candidates);
        var n = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            if (!float.IsNegativeInfinity(logits[i]))
            {
                order[n++] = RankKey(logits[i], i);
            }
        }

        order.Sort();

        // Top-k, Hugging Face's TopKLogitsWarper: the k largest. Hugging Face also keeps every token tied with the k-th
        // (it removes only logits below the k-th value); we keep exactly k, the lowest ids among ties, so top-k 1 is
        // the same token as greedy decoding.
        var kept = _options.TopK > 0 ? Math.Min(_options.TopK, candidates) : candidates;
        var weights = Buffer(ref _weights, logits.Length).AsSpan(0, kept);
        double total = 0;
        for (var r = 0; r < kept; r++)
        {
            var w = Weight(logits[(int)(uint)order[r]], max);
            weights[r] = w;
            total += w;
        }

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
                cumulative += weights[r++];
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
            sum += weights[r];
            if (target < sum)
            {
                return (int)(uint)order[r];
            }
        }

        return (int)(uint)order[kept - 1];   // rounding left the target at the very top
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
