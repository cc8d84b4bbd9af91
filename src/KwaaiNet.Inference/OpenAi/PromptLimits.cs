// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.OpenAi;

/// <summary>Limits checked on prompt text before it is tokenized.</summary>
internal static class PromptLimits
{
    /// <summary>
    /// Prompt text longer than this many characters per position of the context is refused untokenized: it cannot fit,
    /// and encoding it would take long.
    /// </summary>
    public const int MaxCharactersPerToken = 64;

    /// <summary>The most prompt characters accepted for a context of <paramref name="contextLength"/> tokens.</summary>
    public static long MaxCharacters(int contextLength) => (long)MaxCharactersPerToken * contextLength;
}
