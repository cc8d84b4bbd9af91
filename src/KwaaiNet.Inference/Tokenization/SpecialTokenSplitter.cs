// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Tokenization;

/// <summary>
/// Finds control, user-defined and unknown tokens written in text (llama.cpp parses the same types as specials), so
/// that the rest of the text is tokenized around them. At each position the longest special token wins.
/// </summary>
internal sealed class SpecialTokenSplitter
{
    // Candidates by first character, longest first.
    private readonly Dictionary<char, (string Text, int Id)[]> _byFirstChar;

    public SpecialTokenSplitter(GgufVocabulary vocabulary)
    {
        var candidates = new Dictionary<char, List<(string Text, int Id)>>();
        for (var id = 0; id < vocabulary.Tokens.Count; id++)
        {
            var text = vocabulary.Tokens[id];
            if (text.Length == 0
                || vocabulary.TypeOf(id) is not (GgufTokenType.Control or GgufTokenType.UserDefined or GgufTokenType.Unknown))
            {
                continue;
            }

            if (!candidates.TryGetValue(text[0], out var list))
            {
                list = [];
                candidates[text[0]] = list;
            }

            list.Add((text, id));
        }

        _byFirstChar = candidates.ToDictionary(
            static pair => pair.Key,
            static pair => pair.Value.OrderByDescending(static c => c.Text.Length).ThenBy(static c => c.Id).ToArray());
    }

    /// <summary>Splits <paramref name="text"/> into raw-text fragments and special-token fragments, in order.</summary>
    public List<Fragment> Split(string text)
    {
        var fragments = new List<Fragment>();
        var rawStart = 0;
        var i = 0;
        while (i < text.Length)
        {
            var match = _byFirstChar.Count == 0 ? default : MatchAt(text, i);
            if (match.Text is null)
            {
                i++;
                continue;
            }

            if (i > rawStart)
            {
                fragments.Add(new Fragment(rawStart, i - rawStart, -1));
            }

            fragments.Add(new Fragment(i, match.Text.Length, match.Id));
            i += match.Text.Length;
            rawStart = i;
        }

        if (text.Length > rawStart)
        {
            fragments.Add(new Fragment(rawStart, text.Length - rawStart, -1));
        }

        return fragments;
    }

    private (string? Text, int Id) MatchAt(string text, int index)
    {
        if (!_byFirstChar.TryGetValue(text[index], out var candidates))
        {
            return default;
        }

        foreach (var candidate in candidates)
        {
            if (index + candidate.Text.Length <= text.Length
                && string.CompareOrdinal(text, index, candidate.Text, 0, candidate.Text.Length) == 0)
            {
                return candidate;
            }
        }

        return default;
    }

    /// <summary>A piece of the input: raw text (<see cref="TokenId"/> = -1) or one special token.</summary>
    internal readonly record struct Fragment(int Start, int Length, int TokenId)
    {
        public bool IsText => TokenId < 0;
    }
}
