// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Tokenization;
using static KwaaiNet.Inference.Tests.Tokenization.TestVocabularies;

namespace KwaaiNet.Inference.Tests.Tokenization;

public sealed class GgufVocabularyTests
{
    private static readonly string[] Merges = ["l o", "lo w"];
    private static readonly (string, float)[] Pieces = [("▁", -1), ("a", -2)];

    public static TheoryData<string, string> BadVocabularies => new()
    {
        { "model", "not supported" },
        { "empty", "is empty" },
        { "too-many-tokens", "more than the limit" },
        { "null-token", "is null" },
        { "long-token", "characters long" },
        { "scores-length", "tokenizer.ggml.scores has" },
        { "score-nan", "not a finite number" },
        { "types-length", "tokenizer.ggml.token_type has" },
        { "type-value", "not a token type" },
        { "bos-range", "tokenizer.ggml.bos_token_id is" },
        { "eos-negative", "tokenizer.ggml.eos_token_id is -1" },
        { "unknown-range", "tokenizer.ggml.unknown_token_id" },
        { "bpe-no-merges", "merges is required" },
        { "spm-no-scores", "scores is required" },
        { "template-too-long", "tokenizer.chat_template" },
        { "merge-unknown-piece", "refers to 'zz'" },
        { "merge-unknown-result", "refers to 'lw'" },
        { "merge-no-space", "not two pieces" },
        { "merge-null", "is null" },
        { "missing-byte", "byte 0x41" },
    };

    [Theory]
    [MemberData(nameof(BadVocabularies))]
    public void FromVocabulary_BadVocabulary_ThrowsFormatExceptionWithReason(string defect, string reason)
    {
        var vocabulary = Break(defect);

        var error = Assert.Throws<FormatException>(() => TextTokenizer.FromVocabulary(vocabulary));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_GoodVocabularies_Pass()
    {
        ByteLevel(Merges).Validate();
        SentencePiece(Pieces).Validate();
        Assert.Equal(GgufTokenType.Control, SentencePiece(Pieces).TypeOf(1));
    }

    [Fact]
    public void TypeOf_WithoutTypes_InfersControlAndUnknown()
    {
        var vocabulary = SentencePiece(Pieces) with { TokenTypes = null };

        Assert.Equal(GgufTokenType.Unknown, vocabulary.TypeOf(0));
        Assert.Equal(GgufTokenType.Control, vocabulary.TypeOf(1));
        Assert.Equal(GgufTokenType.Control, vocabulary.TypeOf(2));
        Assert.Equal(GgufTokenType.Normal, vocabulary.TypeOf(vocabulary.Tokens.Count - 1));

        // Byte tokens are still found by their text, so byte fallback keeps working.
        var tokenizer = TextTokenizer.FromVocabulary(vocabulary);
        Assert.Equal("a€", tokenizer.Decode(tokenizer.Encode("a€", addBos: true)));
    }

    private static GgufVocabulary Break(string defect)
    {
        var bpe = ByteLevel(Merges);
        var spm = SentencePiece(Pieces);
        return defect switch
        {
            "model" => bpe with { Model = "bert" },
            "empty" => bpe with { Tokens = [], TokenTypes = null, BosId = 0, EosId = 0 },
            "too-many-tokens" => bpe with { Tokens = new string[GgufVocabulary.MaxTokens + 1], TokenTypes = null },
            "null-token" => bpe with { Tokens = [.. bpe.Tokens.Take(10), null!, .. bpe.Tokens.Skip(11)] },
            "long-token" => bpe with { Tokens = [.. bpe.Tokens.SkipLast(1), new string('x', GgufVocabulary.MaxTokenLength + 1)] },
            "scores-length" => spm with { Scores = [.. spm.Scores!.Skip(1)] },
            "score-nan" => spm with { Scores = [float.NaN, .. spm.Scores!.Skip(1)] },
            "types-length" => bpe with { TokenTypes = [.. bpe.TokenTypes!, 1] },
            "type-value" => bpe with { TokenTypes = [9, .. bpe.TokenTypes!.Skip(1)] },
            "bos-range" => bpe with { BosId = bpe.Tokens.Count },
            "eos-negative" => bpe with { EosId = -1 },
            "unknown-range" => spm with { UnknownId = spm.Tokens.Count + 5 },
            "bpe-no-merges" => bpe with { Merges = null },
            "spm-no-scores" => spm with { Scores = null },
            "template-too-long" => bpe with { ChatTemplate = new string('{', GgufVocabulary.MaxChatTemplateLength + 1) },
            "merge-unknown-piece" => bpe with { Merges = [.. Merges, "lo zz"] },
            "merge-unknown-result" => bpe with { Merges = [.. Merges, "l w"] },
            "merge-no-space" => bpe with { Merges = [.. Merges, "low"] },
            "merge-null" => bpe with { Merges = [.. Merges, null!] },
            "missing-byte" => bpe with { Tokens = [.. bpe.Tokens.Select(static t => t == "A" ? "A-renamed" : t)] },
            _ => throw new ArgumentOutOfRangeException(nameof(defect), defect, "unknown defect"),
        };
    }
}
