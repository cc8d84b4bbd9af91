// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text.RegularExpressions;
using KwaaiNet.Inference.Tokenization;

namespace KwaaiNet.Inference.Tests.Tokenization;

public sealed class PreTokenizerPatternsTests
{
    [Theory]
    [InlineData("I'm here", new[] { "I", "'m", " here" })]
    [InlineData("DON'T we'LL", new[] { "DON", "'T", " we", "'LL" })]
    [InlineData("1234567", new[] { "123", "456", "7" })]
    [InlineData("x 12345", new[] { "x", " ", "123", "45" })]
    [InlineData("a\n\nb", new[] { "a", "\n\n", "b" })]
    [InlineData("end.\n\nNext", new[] { "end", ".\n\n", "Next" })]
    [InlineData("  hello world", new[] { " ", " hello", " world" })]
    [InlineData("tab\there ", new[] { "tab", "\there", " " })]
    [InlineData("$5 (ok)", new[] { "$", "5", " (", "ok", ")" })]
    public void Llama3_SplitsAsLlama3Does(string text, string[] expected)
    {
        Assert.Equal(expected, Split(PreTokenizerPatterns.Llama3(), text));
    }

    [Theory]
    [InlineData("I'm here", new[] { "I", "'m", " here" })]
    [InlineData("DON'T", new[] { "DON", "'", "T" })]
    [InlineData("1234567", new[] { "1234567" })]
    [InlineData("a\n\nb", new[] { "a", "\n", "\n", "b" })]
    [InlineData("  hello world", new[] { " ", " hello", " world" })]
    public void Gpt2_SplitsAsGpt2Does(string text, string[] expected)
    {
        Assert.Equal(expected, Split(PreTokenizerPatterns.Gpt2(), text));
    }

    [Theory]
    [InlineData("don't stop (12345)", new[] { "don", "'", "t", " stop", " ", "(", "123", "45", ")" })]
    [InlineData("a+b=c", new[] { "a", "+", "b", "=", "c" })]
    [InlineData("x1234567", new[] { "x", "123", "456", "7" })]
    public void Default_SplitsAsLlamaCppDefaultDoes(string text, string[] expected)
    {
        var (stages, ignoreMerges) = PreTokenizerPatterns.For("default");

        Assert.False(ignoreMerges);
        Assert.Equal(expected, Split(stages, text));
    }

    [Theory]
    [InlineData("llama-bpe", true)]
    [InlineData("llama3", true)]
    [InlineData(null, true)]
    [InlineData("something-new", true)]
    [InlineData("gpt2", false)]
    [InlineData("gpt-2", false)]
    public void For_PreValue_ChoosesPattern(string? pre, bool llama3)
    {
        var (stages, ignoreMerges) = PreTokenizerPatterns.For(pre);

        Assert.Equal(llama3, ignoreMerges);
        string[] expected = llama3 ? ["123", "4"] : ["1234"];
        Assert.Equal(expected, Split(stages, "1234"));
    }

    private static string[] Split(Regex[] stages, string text) =>
        [.. PreTokenizerPatterns.Split(text, stages).Select(p => text.Substring(p.Start, p.Length))];

    private static string[] Split(Regex pattern, string text) => [.. pattern.Matches(text).Select(static m => m.Value)];
}
