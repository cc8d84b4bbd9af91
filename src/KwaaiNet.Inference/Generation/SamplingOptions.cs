// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Generation;

/// <summary>
/// How the next token is chosen from the logits, with the meaning Hugging Face <c>generate</c> gives these parameters
/// (what Petals clients pass): <c>temperature</c>, <c>top_k</c>, <c>top_p</c>, <c>repetition_penalty</c>. The defaults
/// turn every filter off and sample from the plain softmax.
/// </summary>
public sealed record SamplingOptions
{
    /// <summary>Greedy decoding: the highest logit after the repetition penalty, the lowest id on ties.</summary>
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0 };

    /// <summary>
    /// Divides the logits before the softmax; 0 is greedy decoding (argmax), as <c>do_sample=False</c> in Hugging Face.
    /// Default 1 (Hugging Face's default). Finite and non-negative.
    /// </summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Keeps the <c>k</c> most likely tokens before drawing; 0 turns it off (the default). Non-negative.</summary>
    public int TopK { get; init; }

    /// <summary>
    /// Nucleus sampling: keeps the smallest set of most likely tokens whose probabilities add up to at least this much;
    /// 1 turns it off (the default). In (0, 1].
    /// </summary>
    public float TopP { get; init; } = 1f;

    /// <summary>
    /// Penalises every token already in the sequence (prompt included) by the CTRL rule (Keskar et al. 2019, as Hugging
    /// Face's <c>RepetitionPenaltyLogitsProcessor</c>): a positive logit is divided by it, any other multiplied. 1 turns it
    /// off (the default). Finite and positive.
    /// </summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>
    /// Seeds the sampler's generator, so that the same seed and the same logits draw the same tokens; null (the default)
    /// takes a random seed.
    /// </summary>
    public ulong? Seed { get; init; }

    /// <summary>Checks every value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is NaN, infinite or out of its range; the message names it.</exception>
    public void Validate()
    {
        if (!float.IsFinite(Temperature) || Temperature < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be finite and at least 0 (0 is greedy)");
        }

        if (TopK < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "TopK must be at least 0 (0 turns it off)");
        }

        if (!(TopP > 0 && TopP <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "TopP must be in (0, 1] (1 turns it off)");
        }

        if (!float.IsFinite(RepetitionPenalty) || RepetitionPenalty <= 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(RepetitionPenalty), RepetitionPenalty, "RepetitionPenalty must be finite and above 0 (1 turns it off)");
        }
    }
}
