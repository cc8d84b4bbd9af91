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

    /// <summary>Runs of punctuation and ASCII symbols: the first split of llama.cpp's default pre-tokenizer.</summary>
    [GeneratedRegex(@"[\p{P}\$\+<=>\^~\|]+", RegexOptions.CultureInvariant)]
    public static partial Regex Punctuation();

    /// <summary>Digit runs.</summary>
    [GeneratedRegex(@"\p{N}+", RegexOptions.CultureInvariant)]
    public static partial Regex Digits();

    /// <summary>Three ASCII digits.</summary>
    [GeneratedRegex("[0-9][0-9][0-9]", RegexOptions.CultureInvariant)]
    public static partial Regex ThreeDigits();

    /// <summary>
    /// The split stages for a <c>tokenizer.ggml.pre</c> value. Each stage splits every piece of the previous one into
    /// its matches and the text between them.
    /// <list type="bullet">
    /// <item><c>"gpt2"</c>, <c>"gpt-2"</c>: GPT-2's pattern.</item>
    /// <item><c>"default"</c>: llama.cpp's default: punctuation runs, then GPT-2's pattern, then digit runs, then
    /// groups of three digits.</item>
    /// <item><c>"llama-bpe"</c>, <c>"llama3"</c>, <c>"llama-v3"</c>, null and anything else (the Llama family's
    /// default): the Llama-3 pattern, and a word that is itself a token skips the merges.</item>
    /// </list>
    /// </summary>
    /// <param name="pre">The value, or null.</param>
    /// <returns>The stages, and whether whole words found in the vocabulary skip the merges.</returns>
    public static (Regex[] Stages, bool IgnoreMerges) For(string? pre) => pre switch
    {
        "gpt2" or "gpt-2" => ([Gpt2()], false),
        "default" => ([Punctuation(), Gpt2(), Digits(), ThreeDigits()], false),
        _ => ([Llama3()], true),
    };

    /// <summary>Splits <paramref name="text"/> into words with <paramref name="stages"/>: (start, length) pairs.</summary>
    public static List<(int Start, int Length)> Split(ReadOnlySpan<char> text, Regex[] stages)
    {
        List<(int Start, int Length)> pieces = text.IsEmpty ? [] : [(0, text.Length)];
        foreach (var stage in stages)
        {
            var next = new List<(int Start, int Length)>(pieces.Count);
            foreach (var (start, length) in pieces)
            {
                var piece = text.Slice(start, length);
                var position = 0;
                foreach (var match in stage.EnumerateMatches(piece))
                {
                    if (match.Length == 0)
                    {
                        continue;
                    }

                    if (match.Index > position)
                    {
                        next.Add((start + position, match.Index - position));
                    }

                    next.Add((start + match.Index, match.Length));
                    position = match.Index + match.Length;
                }

                if (position < length)
                {
                    next.Add((start + position, length - position));
                }
            }

            pieces = next;
        }

        return pieces;
    }
}
