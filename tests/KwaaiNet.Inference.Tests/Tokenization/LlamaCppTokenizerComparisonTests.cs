// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text;
using KwaaiNet.Inference.Tokenization;
using LLama;
using LLama.Common;
using static KwaaiNet.Inference.Tests.Tokenization.TestVocabularies;

namespace KwaaiNet.Inference.Tests.Tokenization;

/// <summary>
/// Our tokenizers against llama.cpp's (LLamaSharp, vocabulary-only load) on seeded random vocabularies written to GGUF.
/// </summary>
public sealed class LlamaCppTokenizerComparisonTests
{
    private static readonly string[] FixedTexts =
    [
        "", "hello world", " leading space", "two  spaces   and more", "tabs\tand\nnewlines\n\n\nend\n", "I'm DON'T we'll",
        "1234567 89", "Hello, world! (ok?)", "é ß Ω ж", "中文 日本語", "🙂 👍🏽 👨‍👩‍👧", "e\u0301 n\u0303", "a\r\nb", "  \n  ",
    ];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SentencePiece_RandomScoredVocabulary_MatchesLlamaCpp(bool addSpacePrefix)
    {
        var random = new Random(23);
        string[] alphabet = ["▁", "a", "e", "t", "o", "n", "s", "l", "é", "中", "🙂", "\n"];
        var pieces = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var symbol in alphabet)
        {
            pieces[symbol] = -100 + random.NextSingle();
        }

        while (pieces.Count < 300)
        {
            var piece = string.Concat(Enumerable.Range(0, random.Next(2, 7)).Select(_ => alphabet[random.Next(alphabet.Length)]));
            pieces.TryAdd(piece, -random.NextSingle() * 50);
        }

        var vocabulary = SentencePiece([.. pieces.Select(static p => (p.Key, p.Value))], addSpacePrefix: addSpacePrefix, controls: ["<|user|>"]);
        Compare(vocabulary, Texts(random, ["a", "e", "t", "o", "n", " ", "s", "l", "é", "中", "🙂", "\n", "x", "<|user|>", "</s>"]));
    }

    [Theory]
    [InlineData("llama-bpe")]
    [InlineData("gpt-2")]
    [InlineData("default")]
    public void ByteLevelBpe_RandomMerges_MatchesLlamaCpp(string pre)
    {
        var vocabulary = RandomByteLevel(seed: 29, count: 500, pre);
        var tokens = vocabulary.Tokens.Append("<|eot_id|>").ToList();
        var types = vocabulary.TokenTypes!.Append((int)GgufTokenType.Control).ToList();
        vocabulary = vocabulary with { Tokens = tokens, TokenTypes = types };

        Compare(vocabulary, Texts(new Random(31), ["a", "e", "t", "o", "n", " ", "  ", "s", "'s", "'LL", "12", "345", "!", "é", "中", "🙂", "\n", "\t", "<|eot_id|>"]));
    }

    private static IEnumerable<string> Texts(Random random, string[] alphabet) =>
        FixedTexts.Concat(Enumerable.Range(0, 150).Select(_ =>
            string.Concat(Enumerable.Range(0, random.Next(1, 25)).Select(_ => alphabet[random.Next(alphabet.Length)]))));

    private static void Compare(GgufVocabulary vocabulary, IEnumerable<string> texts)
    {
        var ours = TextTokenizer.FromVocabulary(vocabulary);
        using var file = new VocabularyGgufFile(vocabulary);
        var parameters = new ModelParams(file.Path) { VocabOnly = true, GpuLayerCount = 0 };
        using var weights = LLamaWeights.LoadFromFile(parameters);
        Assert.Equal(vocabulary.Tokens.Count, weights.Vocab.Count);

        var compared = 0;
        foreach (var text in texts)
        {
            foreach (var addBos in (bool[])[false, true])
            {
                var expected = weights.Tokenize(text, addBos, special: true, Encoding.UTF8).Select(static t => (int)t).ToArray();
                var actual = ours.Encode(text, addBos);

                Assert.True(
                    expected.SequenceEqual(actual),
                    $"'{text}' (BOS {addBos}): llama.cpp [{string.Join(' ', Pieces(vocabulary, expected))}], " +
                    $"ours [{string.Join(' ', Pieces(vocabulary, actual))}]");
                compared++;
            }
        }

        Assert.True(compared > 100);
    }
}
