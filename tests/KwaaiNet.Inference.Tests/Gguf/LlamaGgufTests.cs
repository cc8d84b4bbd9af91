// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Tokenization;
using KwaaiNet.Testing.Inference;

namespace KwaaiNet.Inference.Tests.Gguf;

public sealed class LlamaGgufTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_K)]
    public void ReadConfig_TinyModel_MatchesWhatWasWritten(GgmlType type)
    {
        var config = type == GgmlType.Q4_K ? TinyLlamaGguf.KQuant : TinyLlamaGguf.Default;
        var path = _temp.File("tiny.gguf");
        TinyLlamaGguf.Write(path, type, seed: 7, config);

        using var file = GgufFile.Open(path);

        Assert.Equal(config, LlamaGguf.ReadConfig(file));
        Assert.Equal(TinyLlamaGguf.TensorNames(config.LayerCount).Order(StringComparer.Ordinal), file.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Weights_F32_ReadBackExactlyInGgmlShape()
    {
        var path = _temp.File("tiny.gguf");
        var values = TinyLlamaGguf.Write(path, GgmlType.F32, seed: 3);
        using var file = GgufFile.Open(path);
        var weights = new GgufLlamaWeights(file);
        var c = weights.Config;

        Assert.True(weights.Contains("blk.1.ffn_down.weight"));
        Assert.False(weights.Contains("blk.2.ffn_down.weight"));
        Assert.Equal([(long)c.HiddenSize, c.VocabSize], weights.Shape("token_embd.weight"));
        Assert.Equal([(long)c.HiddenSize, c.KvHeadCount * c.HeadSize], weights.Shape("blk.0.attn_k.weight"));
        Assert.Equal([(long)c.IntermediateSize, c.HiddenSize], weights.Shape("blk.0.ffn_down.weight"));
        foreach (var (name, expected) in values)
        {
            Assert.Equal(expected, weights.ReadFloat32(name));
        }

        Assert.Contains("'nope'", Assert.Throws<KeyNotFoundException>(() => weights.ReadFloat32("nope")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Weights_Q8_0_AreCloseToTheSource()
    {
        var path = _temp.File("tiny-q8.gguf");
        var values = TinyLlamaGguf.Write(path, GgmlType.Q8_0, seed: 4);
        using var file = GgufFile.Open(path);
        var weights = new GgufLlamaWeights(file);

        // Matrices are uniform in ±1 or ±0.2: one Q8_0 step is at most 1/127.
        foreach (var (name, expected) in values)
        {
            var actual = weights.ReadFloat32(name);
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1f / 127, $"{name}[{i}]: {expected[i]} vs {actual[i]}");
            }
        }
    }

    [Fact]
    public void ReadConfig_MissingKey_NamesIt()
    {
        var path = _temp.File("nokey.gguf");
        new GgufWriter().AddString("general.architecture", "llama").AddUInt32("llama.embedding_length", 64)
            .AddUInt32("llama.attention.head_count", 4).AddFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
            .AddStringArray("tokenizer.ggml.tokens", ["a"]).WriteTo(path);
        using var file = GgufFile.Open(path);

        var ex = Assert.Throws<GgufFormatException>(() => LlamaGguf.ReadConfig(file));

        Assert.Contains("'llama.feed_forward_length'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadConfig_OtherArchitectureOrBadHeads_IsRefused()
    {
        var path = _temp.File("gpt2.gguf");
        new GgufWriter().AddString("general.architecture", "gpt2").WriteTo(path);
        using (var file = GgufFile.Open(path))
        {
            Assert.Contains("'gpt2'", Assert.Throws<GgufFormatException>(() => LlamaGguf.ReadConfig(file)).Message, StringComparison.Ordinal);
        }

        var (writer, _) = TinyLlamaGguf.Build(GgmlType.F32, config: TinyLlamaGguf.Default with { KvHeadCount = 3 });
        writer.WriteTo(path);
        using (var file = GgufFile.Open(path))
        {
            Assert.Contains("do not divide evenly", Assert.Throws<GgufFormatException>(() => LlamaGguf.ReadConfig(file)).Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ReadConfig_WithoutTokens_TakesVocabFromEmbeddingRows()
    {
        var path = _temp.File("notok.gguf");
        new GgufWriter().AddString("general.architecture", "llama").AddUInt32("llama.embedding_length", 32)
            .AddUInt32("llama.feed_forward_length", 64).AddUInt32("llama.block_count", 1).AddUInt32("llama.context_length", 16)
            .AddUInt32("llama.attention.head_count", 2).AddFloat32("llama.attention.layer_norm_rms_epsilon", 1e-6f)
            .AddTensor("token_embd.weight", new float[32 * 5], [32, 5], GgmlType.F32).WriteTo(path);
        using var file = GgufFile.Open(path);

        var config = LlamaGguf.ReadConfig(file);

        Assert.Equal(5, config.VocabSize);
        Assert.Equal(2, config.KvHeadCount);
        Assert.Equal(10_000f, config.RopeTheta);
    }

    [Fact]
    public void ReadVocabulary_TinyModel_GivesAWorkingSentencePieceTokenizer()
    {
        var path = _temp.File("vocab.gguf");
        TinyLlamaGguf.Write(path, GgmlType.F32);
        using var file = GgufFile.Open(path);

        var vocabulary = LlamaGguf.ReadVocabulary(file);
        var tokenizer = TextTokenizer.FromVocabulary(vocabulary);

        Assert.True(vocabulary.IsSentencePiece);
        Assert.Equal(TinyLlamaGguf.Default.VocabSize, vocabulary.Tokens.Count);
        Assert.Equal((1, 2, 0), (vocabulary.BosId, vocabulary.EosId, vocabulary.UnknownId));
        // The tiny vocabulary has no merges, so text falls back to byte tokens (the prefixed space as U+2581's bytes).
        var ids = tokenizer.Encode("Hi!", addBos: true);
        Assert.Equal([1, 3 + 0xE2, 3 + 0x96, 3 + 0x81, 3 + 'H', 3 + 'i', 3 + '!'], ids);
        Assert.EndsWith("Hi!", tokenizer.Decode(ids), StringComparison.Ordinal);
        Assert.True(tokenizer.IsEndOfGeneration(2));
    }

    [Fact]
    public void ReadVocabulary_MissingOrMalformed_IsAFormatErrorNamingTheProblem()
    {
        var path = _temp.File("novocab.gguf");
        new GgufWriter().AddString("general.architecture", "llama").AddString("tokenizer.ggml.model", "llama")
            .AddStringArray("tokenizer.ggml.tokens", ["<unk>", "<s>"]).AddUInt32("tokenizer.ggml.bos_token_id", 1)
            .AddUInt32("tokenizer.ggml.eos_token_id", 7).WriteTo(path);
        using (var file = GgufFile.Open(path))
        {
            var error = Assert.Throws<GgufFormatException>(() => LlamaGguf.ReadVocabulary(file));
            Assert.Contains("tokenizer", error.Message, StringComparison.Ordinal);
        }

        new GgufWriter().AddString("general.architecture", "llama").WriteTo(path);
        using (var file = GgufFile.Open(path))
        {
            Assert.Contains("'tokenizer.ggml.model'", Assert.Throws<GgufFormatException>(() => LlamaGguf.ReadVocabulary(file)).Message, StringComparison.Ordinal);
        }
    }
}
