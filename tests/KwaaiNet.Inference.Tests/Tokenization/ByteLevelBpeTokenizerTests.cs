// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text;
using KwaaiNet.Inference.Tokenization;
using static KwaaiNet.Inference.Tests.Tokenization.TestVocabularies;

namespace KwaaiNet.Inference.Tests.Tokenization;

public sealed class ByteLevelBpeTokenizerTests
{
    private static readonly string[] LowerMerges = ["l o", "lo w", "e r", "low er", "Ġ low"];
    private static readonly string[] AbThenBc = ["a b", "b c"];
    private static readonly string[] BcThenAb = ["b c", "a b"];
    private static readonly string[] NoMerges = [];
    private static readonly string[] XyzMerges = ["x y", "xy z"];

    [Theory]
    [InlineData("lower", new[] { "lower" })]
    [InlineData("lowe", new[] { "low", "e" })]
    [InlineData("lo", new[] { "lo" })]
    [InlineData("ol", new[] { "o", "l" })]
    [InlineData("lower lower", new[] { "lower", "Ġ", "lower" })]
    [InlineData(" low", new[] { "Ġlow" })]
    public void Encode_MergesInRankOrder_GivesHandDerivedPieces(string text, string[] expected)
    {
        var vocabulary = ByteLevel(LowerMerges);
        var tokenizer = TextTokenizer.FromVocabulary(vocabulary);

        Assert.Equal(expected, Pieces(vocabulary, tokenizer.Encode(text, addBos: false)));
    }

    [Fact]
    public void Encode_CompetingMerges_TheBetterRankWins()
    {
        var abFirst = ByteLevel(AbThenBc);
        var bcFirst = ByteLevel(BcThenAb);

        Assert.Equal(["ab", "c"], Pieces(abFirst, TextTokenizer.FromVocabulary(abFirst).Encode("abc", false)));
        Assert.Equal(["a", "bc"], Pieces(bcFirst, TextTokenizer.FromVocabulary(bcFirst).Encode("abc", false)));
    }

    [Fact]
    public void Encode_Llama3WordInVocabulary_IsTakenWholeWithoutMerges()
    {
        // "xyz" is a token, but only reachable through merges that GPT-2 would apply; add a token "pqr" that no merge
        // builds: Llama-3 takes it whole, GPT-2 leaves it as bytes.
        var withPqr = ByteLevel(XyzMerges, pre: "llama-bpe");
        var tokens = withPqr.Tokens.ToList();
        var types = withPqr.TokenTypes!.ToList();
        tokens.Insert(256 + 2, "pqr");
        types.Insert(256 + 2, (int)GgufTokenType.Normal);
        var llama3 = withPqr with { Tokens = tokens, TokenTypes = types, BosId = withPqr.BosId + 1, EosId = withPqr.EosId + 1 };
        var gpt2 = llama3 with { Pre = "gpt2" };

        Assert.Equal(["pqr"], Pieces(llama3, TextTokenizer.FromVocabulary(llama3).Encode("pqr", false)));
        Assert.Equal(["p", "q", "r"], Pieces(gpt2, TextTokenizer.FromVocabulary(gpt2).Encode("pqr", false)));
        Assert.Equal(["xyz"], Pieces(gpt2, TextTokenizer.FromVocabulary(gpt2).Encode("xyz", false)));
    }

    [Fact]
    public void Encode_WithBos_StartsWithBos()
    {
        var vocabulary = ByteLevel(LowerMerges);
        var tokenizer = TextTokenizer.FromVocabulary(vocabulary);

        var ids = tokenizer.Encode("lo", addBos: true);

        Assert.Equal(["<|begin_of_text|>", "lo"], Pieces(vocabulary, ids));
        Assert.Equal(vocabulary.BosId, tokenizer.BosId);
    }

    [Fact]
    public void Encode_ControlTokensInText_AreMatchedWhole()
    {
        var vocabulary = ByteLevel(LowerMerges, ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|eot|>"]);
        var tokenizer = TextTokenizer.FromVocabulary(vocabulary);

        var ids = tokenizer.Encode("<|begin_of_text|>lo<|eot_id|><|eot|>lower<|eot", addBos: false);

        Assert.Equal(
            ["<|begin_of_text|>", "lo", "<|eot_id|>", "<|eot|>", "lower", "<", "|", "e", "o", "t"],
            Pieces(vocabulary, ids));
        Assert.Equal("lolower<|eot", tokenizer.Decode(ids));
    }

    [Fact]
    public void Encode_NormalTokenLookingLikeAControlToken_IsNotMatched()
    {
        var vocabulary = ByteLevel(NoMerges, ["<|begin_of_text|>", "<|end_of_text|>"]);
        var tokens = vocabulary.Tokens.Append("<x>").ToList();
        var types = vocabulary.TokenTypes!.Append((int)GgufTokenType.Normal).ToList();
        vocabulary = vocabulary with { Tokens = tokens, TokenTypes = types };
        var tokenizer = TextTokenizer.FromVocabulary(vocabulary);

        Assert.Equal(["<", "x", ">"], Pieces(vocabulary, tokenizer.Encode("<x>", false)));
    }

    [Fact]
    public void IsEndOfGeneration_EosAndEndOfTurnControls_AreTrue()
    {
        var vocabulary = ByteLevel(NoMerges, ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|start_header_id|>"]);
        var tokenizer = TextTokenizer.FromVocabulary(vocabulary);
        var id = (string text) => vocabulary.Tokens.ToList().IndexOf(text);

        Assert.True(tokenizer.IsEndOfGeneration(tokenizer.EosId));
        Assert.True(tokenizer.IsEndOfGeneration(id("<|eot_id|>")));
        Assert.False(tokenizer.IsEndOfGeneration(id("<|start_header_id|>")));
        Assert.False(tokenizer.IsEndOfGeneration(tokenizer.BosId));
        Assert.False(tokenizer.IsEndOfGeneration('a'));
    }

    [Theory]
    [InlineData("llama-bpe")]
    [InlineData("gpt2")]
    public void EncodeDecode_ArbitraryUnicode_RoundTrips(string pre)
    {
        var vocabulary = RandomByteLevel(seed: 7, count: 400, pre);
        var tokenizer = TextTokenizer.FromVocabulary(vocabulary);
        var random = new Random(11);
        string[] fixedTexts = ["", " ", "Hello, world!", "日本語のテキスト", "🙂👍🏽👨‍👩‍👧", "e\u0301 n\u0303", "a\r\n\r\n\tb  c   ", "12345678", "𝔘𝔫𝔦"];

        foreach (var text in fixedTexts.Concat(Enumerable.Range(0, 200).Select(_ => RandomText(random, random.Next(1, 40)))))
        {
            var ids = tokenizer.Encode(text, addBos: true);

            Assert.All(ids, id => Assert.InRange(id, 0, tokenizer.VocabSize - 1));
            Assert.Equal(text, tokenizer.Decode(ids));
        }
    }

    [Fact]
    public void Encode_RandomMerges_MatchesNaiveBpe()
    {
        // The naive definition: merge the best-ranked adjacent pair (leftmost on ties) until none has a merge.
        var vocabulary = RandomByteLevel(seed: 3, count: 600, "gpt2");
        var tokenizer = TextTokenizer.FromVocabulary(vocabulary);
        var ranks = vocabulary.Merges!.Select((m, rank) => (m, rank)).ToDictionary(x => x.m, x => x.rank);
        var random = new Random(5);
        var mergesFired = 0;

        for (var trial = 0; trial < 200; trial++)
        {
            // One word (letters and spaces only would split; a single pre-token is a run of letters).
            var word = new string([.. Enumerable.Range(0, random.Next(1, 30)).Select(_ => "etaoinshrdlu"[random.Next(12)])]);
            var symbols = word.Select(static c => ByteChar(c)).ToList();
            while (true)
            {
                var best = -1;
                for (var i = 0; i + 1 < symbols.Count; i++)
                {
                    if (ranks.TryGetValue(symbols[i] + " " + symbols[i + 1], out var rank)
                        && (best < 0 || rank < ranks[symbols[best] + " " + symbols[best + 1]]))
                    {
                        best = i;
                    }
                }

                if (best < 0)
                {
                    break;
                }

                symbols[best] += symbols[best + 1];
                symbols.RemoveAt(best + 1);
                mergesFired++;
            }

            Assert.Equal(symbols, Pieces(vocabulary, tokenizer.Encode(word, false)));
        }

        Assert.True(mergesFired > 100, "the random merges should apply to the random words");
    }

    [Fact]
    public void Decode_ControlTokens_PrintNothing()
    {
        var vocabulary = ByteLevel(LowerMerges);
        var tokenizer = TextTokenizer.FromVocabulary(vocabulary);

        var text = tokenizer.Decode([vocabulary.BosId, .. tokenizer.Encode(" lower", false), vocabulary.EosId]);

        Assert.Equal(" lower", text);
    }

    [Fact]
    public void Decode_SplitMultibyteCharacter_IsReassembled()
    {
        var vocabulary = ByteLevel(NoMerges);
        var tokenizer = TextTokenizer.FromVocabulary(vocabulary);
        var bytes = Encoding.UTF8.GetBytes("中🙂");

        Assert.Equal([.. bytes.Select(static b => (int)b)], tokenizer.Encode("中🙂", false));
        Assert.Equal("中🙂", tokenizer.Decode(bytes.Select(static b => (int)b)));
        Assert.Equal("\uFFFD", tokenizer.Decode([bytes[0]]));
    }

    [Fact]
    public void Decode_IdOutOfRange_Throws()
    {
        var tokenizer = TextTokenizer.FromVocabulary(ByteLevel(LowerMerges));

        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([tokenizer.VocabSize]));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([-1]));
    }

    [Fact]
    public void Encode_LongRunOfPunctuation_RoundTrips()
    {
        // One pre-token of 100,000 characters: the merge queue keeps this fast enough for a unit test.
        var vocabulary = ByteLevel(["! !", "!! !!"]);
        var tokenizer = TextTokenizer.FromVocabulary(vocabulary);
        var text = new string('!', 100_000);

        var ids = tokenizer.Encode(text, false);

        Assert.Equal(25_000, ids.Count);
        Assert.Equal(text, tokenizer.Decode(ids));
    }
}
