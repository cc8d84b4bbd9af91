// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text;
using System.Text.RegularExpressions;

namespace KwaaiNet.Inference.Tokenization;

/// <summary>
/// Byte-level BPE as llama.cpp runs a GGUF <c>"gpt2"</c> vocabulary: special tokens are cut out of the text, the rest
/// is split into words by the pre-tokenizer patterns, each word's UTF-8 bytes become one symbol each (in GPT-2's
/// byte alphabet), and adjacent symbols merge by merge rank, lowest rank first and leftmost first on ties.
/// </summary>
internal sealed class ByteLevelBpeTokenizer : VocabularyTokenizer
{
    private readonly Dictionary<string, int> _tokenIds;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _tokenIdsBySpan;
    private readonly int[] _byteIds = new int[256];
    private readonly Dictionary<long, (int Rank, int Merged)> _merges;
    private readonly Regex[] _stages;
    private readonly bool _ignoreMerges;

    public ByteLevelBpeTokenizer(GgufVocabulary vocabulary)
        : base(vocabulary)
    {
        _tokenIds = TextTokenizer.TokenIds(vocabulary);
        _tokenIdsBySpan = _tokenIds.GetAlternateLookup<ReadOnlySpan<char>>();
        for (var b = 0; b < 256; b++)
        {
            var symbol = ByteLevelAlphabet.CharOf((byte)b).ToString();
            if (!_tokenIds.TryGetValue(symbol, out _byteIds[b]))
            {
                throw new FormatException(
                    $"The byte-level vocabulary has no token for byte 0x{b:X2} ('{symbol}'); every byte needs one.");
            }
        }

        var merges = vocabulary.Merges!;
        _merges = new Dictionary<long, (int, int)>(merges.Count);
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var merge = merges[rank] ?? throw new FormatException($"tokenizer.ggml.merges[{rank}] is null.");

            // The separator is the first space after the first character (a piece is never empty).
            var space = merge.Length > 1 ? merge.IndexOf(' ', 1) : -1;
            if (space < 0)
            {
                throw new FormatException($"tokenizer.ggml.merges[{rank}] '{merge}' is not two pieces separated by a space.");
            }

            var left = merge[..space];
            var right = merge[(space + 1)..];
            var leftId = MergeToken(rank, merge, left);
            var rightId = MergeToken(rank, merge, right);
            var mergedId = MergeToken(rank, merge, left + right);

            // A repeated pair keeps its first (best) rank.
            _merges.TryAdd(PairKey(leftId, rightId), (rank, mergedId));
        }

        (_stages, _ignoreMerges) = PreTokenizerPatterns.For(vocabulary.Pre);
    }

    public override IReadOnlyList<int> Encode(string text, bool addBos)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<int>();
        if (addBos)
        {
            output.Add(BosId);
        }

        foreach (var fragment in Specials.Split(text))
        {
            if (!fragment.IsText)
            {
                output.Add(fragment.TokenId);
                continue;
            }

            var span = text.AsSpan(fragment.Start, fragment.Length);
            foreach (var (start, length) in PreTokenizerPatterns.Split(span, _stages))
            {
                EncodeWord(span.Slice(start, length), output);
            }
        }

        return output;
    }

    public override string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        Span<byte> utf8 = stackalloc byte[4];
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
                    break;
                case GgufTokenType.UserDefined:
                    bytes.AddRange(Encoding.UTF8.GetBytes(token));
                    break;
                default:
                    foreach (var c in token)
                    {
                        var b = ByteLevelAlphabet.ByteOf(c);
                        if (b >= 0)
                        {
                            bytes.Add((byte)b);
                        }
                        else
                        {
                            // Not in the byte alphabet (a malformed token): print the character itself.
                            var n = new Rune(char.IsSurrogate(c) ? '\uFFFD' : c).EncodeToUtf8(utf8);
                            bytes.AddRange(utf8[..n]);
                        }
                    }

                    break;
            }
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }

    private int MergeToken(int rank, string merge, string piece) =>
        _tokenIds.TryGetValue(piece, out var id)
            ? id
            : throw new FormatException(
                $"tokenizer.ggml.merges[{rank}] '{merge}' refers to '{piece}', which is not in the vocabulary.");

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    private void EncodeWord(ReadOnlySpan<char> word, List<int> output)
    {
        var byteCount = Encoding.UTF8.GetByteCount(word);
        var bytes = byteCount <= 256 ? stackalloc byte[byteCount] : new byte[byteCount];
        Encoding.UTF8.GetBytes(word, bytes);

        if (_ignoreMerges)
        {
            // Llama-3: a word that is itself a token is taken whole, without running the merges.
            var chars = byteCount <= 256 ? stackalloc char[byteCount] : new char[byteCount];
            for (var i = 0; i < byteCount; i++)
            {
                chars[i] = ByteLevelAlphabet.CharOf(bytes[i]);
            }

            if (_tokenIdsBySpan.TryGetValue(chars, out var whole))
            {
                output.Add(whole);
                return;
            }
        }

        var symbols = new int[byteCount];
        for (var i = 0; i < byteCount; i++)
        {
            symbols[i] = _byteIds[bytes[i]];
        }

        output.AddRange(MergeSymbols(symbols));
    }

    /// <summary>
    /// Merges adjacent symbols, best rank first and leftmost first on ties, until no adjacent pair has a merge.
    /// A linked list plus a priority queue of candidate pairs, whose stale entries are skipped, keeps this
    /// O(n log n) in the word length.
    /// </summary>
    private List<int> MergeSymbols(int[] ids)
    {
        var n = ids.Length;
        var next = new int[n];
        var prev = new int[n];
        var alive = new bool[n];
        for (var i = 0; i < n; i++)
        {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
            alive[i] = true;
        }

        var queue = new PriorityQueue<(int Left, int Right, int LeftId, int RightId, int Merged), (int Rank, int Left)>();
        for (var i = 0; i + 1 < n; i++)
        {
            Enqueue(i, i + 1);
        }

        while (queue.TryDequeue(out var pair, out _))
        {
            // Skip a pair whose symbols have changed since it was queued.
            if (!alive[pair.Left] || !alive[pair.Right] || next[pair.Left] != pair.Right
                || ids[pair.Left] != pair.LeftId || ids[pair.Right] != pair.RightId)
            {
                continue;
            }

            ids[pair.Left] = pair.Merged;
            alive[pair.Right] = false;
            next[pair.Left] = next[pair.Right];
            if (next[pair.Right] >= 0)
            {
                prev[next[pair.Right]] = pair.Left;
            }

            if (prev[pair.Left] >= 0)
            {
                Enqueue(prev[pair.Left], pair.Left);
            }

            if (next[pair.Left] >= 0)
            {
                Enqueue(pair.Left, next[pair.Left]);
            }
        }

        var result = new List<int>();
        for (var i = 0; i >= 0 && i < n; i = next[i])
        {
            result.Add(ids[i]);
        }

        return result;

        void Enqueue(int left, int right)
        {
            if (_merges.TryGetValue(PairKey(ids[left], ids[right]), out var merge))
            {
                queue.Enqueue((left, right, ids[left], ids[right], merge.Merged), (merge.Rank, left));
            }
        }
    }
}
