// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Tokenization;
using static KwaaiNet.Inference.Tests.Tokenization.TestVocabularies;

namespace KwaaiNet.Inference.Tests.Tokenization;

public sealed class SentencePieceBigramTokenizerTests
{
    // Single characters score lowest; the pairs are listed best first. "▁world" is deliberately missing.
    private static readonly (string, float)[] HelloWorld =
    [
        ("▁", -10), ("h", -10), ("e", -10), ("l", -10), ("o", -10), ("w", -10), ("r", -10), ("d", -10),
        ("ll", -1), ("he", -2), ("▁he", -3), ("llo", -4), ("▁hello", -5), ("or", -6), ("▁w", -7), ("▁wor", -8), ("ld", -9),
    ];

    private static readonly (string, float)[] TiedPairs = [("▁", -10), ("a", -10), ("b", -10), ("c", -10), ("ab", -1), ("bc", -1)];
    private static readonly (string, float)[] BetterRight = [("▁", -10), ("a", -10), ("b", -10), ("c", -10), ("ab", -1), ("bc", -0.5f)];

    [Fact]
    public void Encode_ScoredVocabulary_GivesHandDerivedPieces()
    {
        // "▁hello▁world": ll, he, ▁he, llo, ▁hello, or, ▁w, ▁wor, ld merge in score order; "▁wor"+"ld" is no token.
        var vocabulary = SentencePiece(HelloWorld);
        var tokenizer = TextTokenizer.FromVocabulary(vocabulary);

        Assert.Equal(["<s>", "▁hello", "▁wor", "ld"], Pieces(vocabulary, tokenizer.Encode("hello world", addBos: true)));
        Assert.Equal(["▁he", "ll"], Pieces(vocabulary, tokenizer.Encode("hell", addBos: false)));
        Assert.Equal(["▁", "▁hello"], Pieces(vocabulary, tokenizer.Encode(" hello", addBos: false)));
    }

    [Fact]
    public void Encode_EqualScores_LeftmostPairMergesFirst()
    {
        var tied = SentencePiece(TiedPairs);
        var right = SentencePiece(BetterRight);

        Assert.Equal(["▁", "ab", "c"], Pieces(tied, TextTokenizer.FromVocabulary(tied).Encode("abc", false)));
        Assert.Equal(["▁", "a", "bc"], Pieces(right, TextTokenizer.FromVocabulary(right).Encode("abc", false)));
    }

    [Fact]
    public void Encode_CharacterNotInVocabulary_FallsBackToBytes()
    {
        var vocabulary = SentencePiece(HelloWorld);
        var tokenizer = TextTokenizer.FromVocabulary(vocabulary);

        var ids = tokenizer.Encode("he€", addBos: false);

        Assert.Equal(["▁he", "<0xE2>", "<0x82>", "<0xAC>"], Pieces(vocabulary, ids));
        Assert.Equal("he€", tokenizer.Decode(ids));
    }

    [Fact]
    public void Encode_NoByteTokens_FallsBackToUnknown()
    {
        var vocabulary = SentencePiece(HelloWorld, byteTokens: false);
        var tokenizer = TextTokenizer.FromVocabulary(vocabulary);

        Assert.Equal(["▁he", "<unk>"], Pieces(vocabulary, tokenizer.Encode("heß", addBos: false)));
    }

    [Fact]
    public void Encode_NoByteTokensAndNoUnknown_IsRejected()
    {
        var vocabulary = SentencePiece(HelloWorld, byteTokens: false) with { UnknownId = null };

        var error = Assert.Throws<FormatException>(() => TextTokenizer.FromVocabulary(vocabulary));
        Assert.Contains("byte tokens", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_SpacePrefix_AfterStartAndAfterControlTokensOnly()
    {
        var vocabulary = SentencePiece(HelloWorld);
        var tokenizer = TextTokenizer.FromVocabulary(vocabulary);
        var noPrefix = TextTokenizer.FromVocabulary(vocabulary with { AddSpacePrefix = false });

        Assert.Equal(["▁he", "</s>", "▁he", "<s>", "▁he"], Pieces(vocabulary, tokenizer.Encode("he</s>he<s>he", false)));
        Assert.Equal(["he", "</s>", "he"], Pieces(vocabulary, noPrefix.Encode("he</s>he", false)));
        Assert.Equal(["<s>"], Pieces(vocabulary, tokenizer.Encode(string.Empty, true)));
    }

    [Fact]
    public void Decode_DropsTheSpacePrefixOnce()
    {
        var vocabulary = SentencePiece(HelloWorld);
        var tokenizer = TextTokenizer.FromVocabulary(vocabulary);
        int Id(string piece) => vocabulary.Tokens.ToList().IndexOf(piece);

        Assert.Equal("hello world", tokenizer.Decode([Id("<s>"), Id("▁hello"), Id("▁wor"), Id("ld")]));
        Assert.Equal("hello hello", tokenizer.Decode([Id("▁hello"), Id("▁hello")]));
        Assert.Equal(" hello", tokenizer.Decode([Id("▁"), Id("▁hello")]));
        Assert.Equal("\u2585", tokenizer.Decode([Id("<unk>")]));
    }

    [Fact]
    public void EncodeDecode_RandomText_RoundTrips()
    {
        // A seeded random vocabulary of pieces over the test alphabet, with random scores.
        var random = new Random(17);
        string[] alphabet = ["▁", "a", "e", "t", "o", "n", "s", "é", "中", "🙂"];
        string[] textAlphabet = ["a", "e", "t", "o", "n", " ", "s", "é", "中", "🙂"];
        var pieces = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var symbol in alphabet)
        {
            pieces[symbol] = -20;
        }

        while (pieces.Count < 200)
        {
            var piece = string.Concat(Enumerable.Range(0, random.Next(2, 6)).Select(_ => alphabet[random.Next(alphabet.Length)]));
            pieces.TryAdd(piece, -random.NextSingle() * 10);
        }

        var vocabulary = SentencePiece([.. pieces.Select(static p => (p.Key, p.Value))]);
        var tokenizer = TextTokenizer.FromVocabulary(vocabulary);
        var merged = 0;

        for (var trial = 0; trial < 300; trial++)
        {
            var text = trial % 2 == 0 ? RandomText(random, random.Next(0, 30)) : string.Concat(
                Enumerable.Range(0, random.Next(1, 30)).Select(_ => textAlphabet[random.Next(textAlphabet.Length)]));
            var ids = tokenizer.Encode(text, addBos: trial % 3 == 0);
            merged += ids.Count(id => vocabulary.Tokens[id].Length > 1 && !vocabulary.Tokens[id].StartsWith("<0x", StringComparison.Ordinal));

            Assert.All(ids, id => Assert.InRange(id, 0, tokenizer.VocabSize - 1));
            Assert.Equal(text, tokenizer.Decode(ids));
        }

        Assert.True(merged > 100, "the random pieces should merge");
    }

    [Fact]
    public void IsEndOfGeneration_Eos_IsTrue()
    {
        var tokenizer = TextTokenizer.FromVocabulary(SentencePiece(HelloWorld));

        Assert.True(tokenizer.IsEndOfGeneration(tokenizer.EosId));
        Assert.False(tokenizer.IsEndOfGeneration(tokenizer.BosId));
    }
}
