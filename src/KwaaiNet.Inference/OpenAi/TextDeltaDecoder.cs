// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.OpenAi;

/// <summary>
/// Turns generated tokens into text pieces as they come. Text is decoded from the whole generated sequence each time,
/// so a character spread over several byte tokens comes out whole, with its last token, and a SentencePiece piece keeps
/// the leading space it has only in context.
/// </summary>
internal sealed class TextDeltaDecoder(Func<IReadOnlyList<int>, string> decode)
{
    private readonly List<int> _ids = [];
    private string _emitted = string.Empty;

    /// <summary>The tokens added so far.</summary>
    public int Count => _ids.Count;

    /// <summary>Adds a generated token and returns the text it completes (empty while a character is incomplete).</summary>
    /// <param name="id">The token.</param>
    /// <param name="last">Whether it is the last token, so that what it decodes to is emitted even if incomplete.</param>
    public string Add(int id, bool last)
    {
        _ids.Add(id);
        var text = decode(_ids);

        // An incomplete UTF-8 sequence decodes to U+FFFD at the end; wait for the token that completes it.
        var complete = last || !text.EndsWith('\uFFFD');
        if (complete && text.Length > _emitted.Length && text.StartsWith(_emitted, StringComparison.Ordinal))
        {
            var delta = text[_emitted.Length..];
            _emitted = text;
            return delta;
        }

        return string.Empty;
    }
}
