// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using System.Text;

namespace KwaaiNet.Inference.Tokenization;

/// <summary>
/// SentencePiece tokenization from a GGUF <c>"llama"</c> vocabulary (tokens and scores), as llama.cpp runs it:
/// special tokens are cut out of the text; each text fragment that starts the input or follows a special token gets
/// a leading space (<c>add_space_prefix</c>); spaces become '▁' (U+2581); the fragment starts as one symbol per
/// character, and the adjacent pair whose concatenation is a token with the highest score merges first (leftmost
/// on ties), until no pair is a token. A leftover character that is not a token falls back to its UTF-8 bytes as
/// <c>&lt;0xXX&gt;</c> tokens, or to the unknown token in a vocabulary without byte tokens.
/// </summary>
internal sealed class SentencePieceBigramTokenizer : VocabularyTokenizer
{
    private const char SpaceMark = '\u2581';

    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _tokenIdsBySpan;
    private readonly int[] _byteIds = new int[256];
    private readonly bool _byteFallback;

    public SentencePieceBigramTokenizer(GgufVocabulary vocabulary)
        : base(vocabulary)
    {
        var tokenIds = TextTokenizer.TokenIds(vocabulary);
        _tokenIdsBySpan = tokenIds.GetAlternateLookup<ReadOnlySpan<char>>();
        _byteFallback = true;
        for (var b = 0; b < 256 && _byteFallback; b++)
        {
            _byteFallback = tokenIds.TryGetValue(ByteTokenText((byte)b), out _byteIds[b]);
        }

        if (!_byteFallback && vocabulary.UnknownId is null)
        {
            throw new FormatException(
                "The SentencePiece vocabulary lacks some of the byte tokens <0x00> to <0xFF> and has no unknown token " +
                "to fall back to.");
        }

    }

    public override IReadOnlyList<int> Encode(string text, bool addBos)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<int>();
        if (addBos)
        {
            output.Add(BosId);
        }

        // The start of the input counts as "after a special token": it gets the space prefix too.
        var afterSpecial = true;
        foreach (var fragment in Specials.Split(text))
        {
            if (!fragment.IsText)
            {
                output.Add(fragment.TokenId);
                afterSpecial = true;
                continue;
            }

            var prefix = Vocabulary.AddSpacePrefix && afterSpecial;
            var normalized = new StringBuilder(fragment.Length + 1);
            if (prefix)
            {
                normalized.Append(SpaceMark);
            }

            normalized.Append(text, fragment.Start, fragment.Length).Replace(' ', SpaceMark);
            EncodeNormalized(normalized.ToString(), output);
            afterSpecial = false;
        }

        return output;
    }

    public override string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();

        // The encoder's space prefix: the first printed piece, after any leading control tokens (BOS), drops one
        // leading space, so that Decode(Encode(text)) gives the text back with or without BOS. (llama.cpp's
        // llama_detokenize drops it only when the first token is not BOS; SentencePiece drops it either way.)
        var atStart = Vocabulary.AddSpacePrefix;
        foreach (var id in ids)
        {
            if ((uint)id >= (uint)VocabSize)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is outside the vocabulary of {VocabSize} tokens.");
            }

            var token = Vocabulary.Tokens[id];
            switch (Vocabulary.TypeOf(id))
            {
                case GgufTokenType.Control or GgufTokenType.Unused:
                    continue;
                case GgufTokenType.Byte when TryParseByteToken(token, out var value):
                    bytes.Add(value);
                    break;
                case GgufTokenType.UserDefined:
                    bytes.AddRange(Encoding.UTF8.GetBytes(token));
                    break;
                case GgufTokenType.Unknown:
                    // llama.cpp prints the unknown token as '▅' (U+2585).
                    bytes.AddRange("\u2585"u8);
                    break;
                default:
                    var piece = token.Replace(SpaceMark, ' ');
                    if (atStart && piece.StartsWith(' '))
                    {
                        piece = piece[1..];
                    }

                    bytes.AddRange(Encoding.UTF8.GetBytes(piece));
                    break;
            }

            atStart = false;
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }

    private static string ByteTokenText(byte value) => $"<0x{value:X2}>";

    private static bool TryParseByteToken(string token, out byte value)
    {
        value = 0;
        return token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    private void EncodeNormalized(string text, List<int> output)
    {
        // One symbol per character (a surrogate pair is one character): start and length in UTF-16 units.
        var start = new List<int>(text.Length);
        var length = new List<int>(text.Length);
        for (var i = 0; i < text.Length;)
        {
            var n = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            start.Add(i);
            length.Add(n);
            i += n;
        }

        var count = start.Count;
        var next = new int[count];
        var prev = new int[count];
        for (var i = 0; i < count; i++)
        {
            next[i] = i + 1 < count ? i + 1 : -1;
            prev[i] = i - 1;
        }

        // Highest score first, then leftmost: the priority is (-score, left) in a min-queue.
        var queue = new PriorityQueue<(int Left, int Right, int Size), (float NegativeScore, int Left)>();
        for (var i = 0; i + 1 < count; i++)
        {
            TryQueue(i, i + 1);
        }

        while (queue.TryDequeue(out var pair, out _))
        {
            // Skip a pair one of whose symbols has merged since it was queued.
            if (length[pair.Left] == 0 || length[pair.Right] == 0 || length[pair.Left] + length[pair.Right] != pair.Size)
            {
                continue;
            }

            length[pair.Left] += length[pair.Right];
            length[pair.Right] = 0;
            next[pair.Left] = next[pair.Right];
            if (next[pair.Right] >= 0)
            {
                prev[next[pair.Right]] = pair.Left;
            }

            if (prev[pair.Left] >= 0)
            {
                TryQueue(prev[pair.Left], pair.Left);
            }

            if (next[pair.Left] >= 0)
            {
                TryQueue(pair.Left, next[pair.Left]);
            }
        }

        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i >= 0 && i < count; i = next[i])
        {
            var piece = text.AsSpan(start[i], length[i]);
            if (_tokenIdsBySpan.TryGetValue(piece, out var id))
            {
                output.Add(id);
                continue;
            }

            // Only a single character can be left that is not a token (every merge made a token): its bytes, or
            // the unknown token when the vocabulary has no byte tokens.
            if (!_byteFallback)
            {
                output.Add(Vocabulary.UnknownId!.Value);
                continue;
            }

            var rune = Rune.TryGetRuneAt(text, start[i], out var r) ? r : Rune.ReplacementChar;
            var n = rune.EncodeToUtf8(utf8);
            for (var b = 0; b < n; b++)
            {
                output.Add(_byteIds[utf8[b]]);
            }
        }

        void TryQueue(int left, int right)
        {
            var size = length[left] + length[right];
            if (_tokenIdsBySpan.TryGetValue(text.AsSpan(start[left], size), out var id))
            {
                queue.Enqueue((left, right, size), (-Vocabulary.Scores![id], left));
            }
        }
    }
}
