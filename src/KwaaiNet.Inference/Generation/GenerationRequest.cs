// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Generation;

/// <summary>What to generate after a prompt: how to sample, how many tokens at most, and which tokens end it.</summary>
public sealed record GenerationRequest
{
    /// <summary>How each token is chosen; greedy decoding by default.</summary>
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;

    /// <summary>The most tokens to generate (Hugging Face's <c>max_new_tokens</c>); at least 1.</summary>
    public required int MaxNewTokens { get; init; }

    /// <summary>
    /// Tokens that end the generation when generated (usually the vocabulary's end-of-generation ids); none by default.
    /// The stop token is streamed as the last item, marked <see cref="GenerationFinishReason.Stop"/>.
    /// </summary>
    public IReadOnlySet<int>? StopTokenIds { get; init; }

    /// <summary>Checks every value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it.</exception>
    /// <exception cref="ArgumentNullException"><see cref="Sampling"/> is null.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Sampling);
        Sampling.Validate();
        if (MaxNewTokens < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), MaxNewTokens, "MaxNewTokens must be at least 1");
        }
    }
}
