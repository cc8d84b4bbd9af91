// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using System.Text;
using KwaaiNet.Inference.Tokenization;

namespace KwaaiNet.Inference.Tests.Tokenization;

/// <summary>Tiny hand-written and seeded-random vocabularies for the tokenizer tests.</summary>
internal static class TestVocabularies
{
    /// <summary>GPT-2's byte alphabet, written out independently of the product table: printable Latin-1 stays.</summary>
    public static string ByteChar(int b)
    {
        var shifted = 0;
        for (var x = 0; x < b; x++)
        {
            if (!IsPrintable(x))
            {
                shifted++;
            }
        }

        return IsPrintable(b) ? ((char)b).ToString() : ((char)(256 + shifted)).ToString();

        static bool IsPrintable(int x) => (x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || x >= 0xAE;
    }

    /// <summary>Text in the byte alphabet (as byte-level vocabularies store it).</summary>
    public static string ToByteLevel(string text) =>
        string.Concat(Encoding.UTF8.GetBytes(text).Select(static b => ByteChar(b)));

    /// <summary>
    /// A byte-level vocabulary: the 256 byte symbols (id = byte), then one token per merge in merge order, then the
    /// control tokens. Merges are written in plain text ("l o"); spaces inside pieces are written as "Ġ".
    /// </summary>
    public static GgufVocabulary ByteLevel(IReadOnlyList<string> merges, IReadOnlyList<string>? controls = null, string? pre = "gpt2")
    {
        var tokens = Enumerable.Range(0, 256).Select(ByteChar).ToList();
        foreach (var merge in merges)
        {
            var merged = merge.Replace(" ", string.Empty, StringComparison.Ordinal);
            if (!tokens.Contains(merged))
            {
                tokens.Add(merged);
            }
        }

        var types = Enumerable.Repeat((int)GgufTokenType.Normal, tokens.Count).ToList();
        foreach (var control in controls ?? ["<|begin_of_text|>", "<|end_of_text|>"])
        {
            tokens.Add(control);
            types.Add((int)GgufTokenType.Control);
        }

        var bos = tokens.IndexOf("<|begin_of_text|>");
        var eos = tokens.IndexOf("<|end_of_text|>");
        return new GgufVocabulary
        {
            Model = "gpt2",
            Pre = pre,
            Tokens = tokens,
            TokenTypes = types,
            Merges = merges,
            BosId = bos < 0 ? 0 : bos,
            EosId = eos < 0 ? 0 : eos,
        };
    }

    /// <summary>A byte-level vocabulary with <paramref name="count"/> seeded random merges of existing tokens.</summary>
    public static GgufVocabulary RandomByteLevel(int seed, int count, string pre)
    {
        var random = new Random(seed);
        var tokens = Enumerable.Range(0, 256).Select(ByteChar).ToList();
        var known = new HashSet<string>(tokens, StringComparer.Ordinal);
        var merges = new List<string>();

        // Favour ASCII letters and space so that merges fire on ordinary text.
        var common = " etaoinshrdlu".Select(static c => ByteChar(c)).ToArray();
        string Pick() => random.Next(2) == 0 ? common[random.Next(common.Length)] : tokens[random.Next(tokens.Count)];

        while (merges.Count < count)
        {
            var left = Pick();
            var right = Pick();
            if (known.Add(left + right))
            {
                tokens.Add(left + right);
                merges.Add(left + " " + right);
            }
        }

        tokens.Add("<|begin_of_text|>");
        tokens.Add("<|end_of_text|>");
        var types = Enumerable.Repeat((int)GgufTokenType.Normal, tokens.Count - 2)
            .Concat([(int)GgufTokenType.Control, (int)GgufTokenType.Control]).ToList();
        return new GgufVocabulary
        {
            Model = "gpt2",
            Pre = pre,
            Tokens = tokens,
            TokenTypes = types,
            Merges = merges,
            BosId = tokens.Count - 2,
            EosId = tokens.Count - 1,
        };
    }

    /// <summary>
    /// A SentencePiece vocabulary laid out as Llama-2's: &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, the 256 byte tokens,
    /// then the scored pieces given.
    /// </summary>
    public static GgufVocabulary SentencePiece(
        IReadOnlyList<(string Piece, float Score)> pieces, bool byteTokens = true, bool addSpacePrefix = true, IReadOnlyList<string>? controls = null)
    {
        var tokens = new List<string> { "<unk>", "<s>", "</s>" };
        var scores = new List<float> { 0, 0, 0 };
        var types = new List<int> { (int)GgufTokenType.Unknown, (int)GgufTokenType.Control, (int)GgufTokenType.Control };
        if (byteTokens)
        {
            for (var b = 0; b < 256; b++)
            {
                tokens.Add(string.Create(CultureInfo.InvariantCulture, $"<0x{b:X2}>"));
                scores.Add(0);
                types.Add((int)GgufTokenType.Byte);
            }
        }

        foreach (var (piece, score) in pieces)
        {
            tokens.Add(piece);
            scores.Add(score);
            types.Add((int)GgufTokenType.Normal);
        }

        foreach (var control in controls ?? [])
        {
            tokens.Add(control);
            scores.Add(0);
            types.Add((int)GgufTokenType.Control);
        }

        return new GgufVocabulary
        {
            Model = "llama",
            Pre = "default",
            Tokens = tokens,
            Scores = scores,
            TokenTypes = types,
            BosId = 1,
            EosId = 2,
            UnknownId = 0,
            AddSpacePrefix = addSpacePrefix,
        };
    }

    /// <summary>The token texts of <paramref name="ids"/>.</summary>
    public static string[] Pieces(GgufVocabulary vocabulary, IEnumerable<int> ids) => [.. ids.Select(id => vocabulary.Tokens[id])];

    /// <summary>Seeded random text mixing ASCII, accents, CJK, emoji, combining marks, digits and whitespace.</summary>
    public static string RandomText(Random random, int length)
    {
        string[] alphabet =
        [
            "a", "e", "t", "o", "n", " ", " ", "  ", "\n", "\t", "\r\n", "'s", "'LL", "1", "23", "4567", "!", "?!", ".",
            "é", "ß", "Ω", "ж", "中", "文", "日本", "🙂", "👍🏽", "👨‍👩‍👧", "e\u0301", "n\u0303", "\u0915\u094D\u0937", "𝔘", "\u00A0",
        ];
        var text = new StringBuilder();
        for (var i = 0; i < length; i++)
        {
            text.Append(alphabet[random.Next(alphabet.Length)]);
        }

        return text.ToString();
    }
}
