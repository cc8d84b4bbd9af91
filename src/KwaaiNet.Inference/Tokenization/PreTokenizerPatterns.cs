// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text.RegularExpressions;

namespace KwaaiNet.Inference.Tokenization;

/// <summary>
/// The regular expressions that split text into words before byte-level BPE, chosen by GGUF
/// <c>tokenizer.ggml.pre</c>. .NET matches UTF-16 code units, so a letter or digit outside the Basic Multilingual
/// Plane (a surrogate pair) counts as "other" here; emoji are "other" either way, so only rare scripts split
/// differently from llama.cpp, and the text still round-trips.
/// </summary>
internal static partial class PreTokenizerPatterns
{
    /// <summary>
    /// The Llama-3 pattern: case-insensitive contractions, letters with one leading non-letter, digits in groups of
    /// at most three, punctuation runs with trailing newlines, newline runs, and whitespace.
    /// </summary>
    [GeneratedRegex(
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
        RegexOptions.CultureInvariant)]
    public static partial Regex Llama3();

    /// <summary>GPT-2's pattern: lower-case contractions, and letters, digits or punctuation with one leading space.</summary>
    [GeneratedRegex(
        @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+",
        RegexOptions.CultureInvariant)]
    public static partial Regex Gpt2();

    /// <summary>
    /// The pattern for a <c>tokenizer.ggml.pre</c> value: GPT-2's for <c>"gpt2"</c> and <c>"default"</c>, Llama-3's
    /// for <c>"llama-bpe"</c>, <c>"llama3"</c>, <c>"llama-v3"</c> and anything else (the Llama family's default).
    /// </summary>
    /// <param name="pre">The value, or null.</param>
    /// <returns>The pattern, and whether whole words found in the vocabulary skip the merges (Llama-3 does).</returns>
    public static (Regex Pattern, bool IgnoreMerges) For(string? pre) => pre switch
    {
        "gpt2" or "default" => (Gpt2(), false),
        _ => (Llama3(), true),
    };
}
