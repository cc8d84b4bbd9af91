// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Model;
using KwaaiNet.Inference.Tokenization;

namespace KwaaiNet.Inference.Gguf;

/// <summary>Reads a Llama-family model's shape from GGUF metadata (<c>general.architecture</c> = "llama").</summary>
public static class LlamaGguf
{
    /// <summary>The architecture this reader accepts.</summary>
    public const string Architecture = "llama";

    /// <summary>
    /// The model's shape from the <c>llama.*</c> keys. <c>head_count_kv</c> defaults to the head count and
    /// <c>rope.freq_base</c> to 10,000 (as in llama.cpp); the vocabulary size comes from <c>tokenizer.ggml.tokens</c>,
    /// else <c>llama.vocab_size</c>, else the rows of <c>token_embd.weight</c>.
    /// </summary>
    /// <exception cref="GgufFormatException">The architecture is not llama, a required key is missing, or a value is out of range.</exception>
    public static LlamaConfig ReadConfig(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var architecture = file.GetString("general.architecture");
        if (architecture != Architecture)
        {
            throw new GgufFormatException($"general.architecture is '{architecture}', expected '{Architecture}' in {file.Path}");
        }

        var hidden = Positive(file, "llama.embedding_length");
        var heads = Positive(file, "llama.attention.head_count");
        var kvHeads = file.ContainsKey("llama.attention.head_count_kv") ? Positive(file, "llama.attention.head_count_kv") : heads;
        if (hidden % heads != 0 || heads % kvHeads != 0)
        {
            throw new GgufFormatException($"llama.embedding_length {hidden}, head_count {heads} and head_count_kv {kvHeads} do not divide evenly in {file.Path}");
        }

        var eps = file.GetFloat32("llama.attention.layer_norm_rms_epsilon");
        var theta = file.TryGetFloat32("llama.rope.freq_base", out var t) ? t : 10_000f;
        if (!(eps > 0) || !float.IsFinite(eps) || !(theta > 0) || !float.IsFinite(theta))
        {
            throw new GgufFormatException($"layer_norm_rms_epsilon {eps} and rope.freq_base {theta} must be positive in {file.Path}");
        }

        return new LlamaConfig(
            VocabSize: VocabSize(file),
            HiddenSize: hidden,
            IntermediateSize: Positive(file, "llama.feed_forward_length"),
            LayerCount: Positive(file, "llama.block_count"),
            HeadCount: heads,
            KvHeadCount: kvHeads,
            RmsNormEpsilon: eps,
            RopeTheta: theta,
            ContextLength: Positive(file, "llama.context_length"));
    }

    /// <summary>
    /// The tokenizer section (<c>tokenizer.ggml.*</c>, as llama.cpp's converter writes it): model, pre-tokenizer,
    /// tokens, scores, token types, merges, special ids, <c>add_bos_token</c>, <c>add_space_prefix</c> and the chat
    /// template; checked with <see cref="GgufVocabulary.Validate"/>.
    /// </summary>
    /// <exception cref="GgufFormatException">A key is missing or of the wrong type, or the vocabulary is malformed.</exception>
    public static GgufVocabulary ReadVocabulary(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var vocabulary = new GgufVocabulary
        {
            Model = file.GetString("tokenizer.ggml.model"),
            Pre = file.TryGetString("tokenizer.ggml.pre", out var pre) ? pre : null,
            Tokens = file.GetArray<string>("tokenizer.ggml.tokens"),
            Scores = file.TryGetArray<float>("tokenizer.ggml.scores", out var scores) ? scores : null,
            TokenTypes = file.TryGetArray<int>("tokenizer.ggml.token_type", out var types) ? types : null,
            Merges = file.TryGetArray<string>("tokenizer.ggml.merges", out var merges) ? merges : null,
            BosId = file.GetInt32("tokenizer.ggml.bos_token_id"),
            EosId = file.GetInt32("tokenizer.ggml.eos_token_id"),
            UnknownId = file.TryGetUInt32("tokenizer.ggml.unknown_token_id", out var unknown) ? checked((int)unknown) : null,
            AddBos = !file.ContainsKey("tokenizer.ggml.add_bos_token") || file.GetBool("tokenizer.ggml.add_bos_token"),
            AddSpacePrefix = !file.ContainsKey("tokenizer.ggml.add_space_prefix") || file.GetBool("tokenizer.ggml.add_space_prefix"),
            ChatTemplate = file.TryGetString("tokenizer.chat_template", out var template) ? template : null,
        };
        try
        {
            vocabulary.Validate();
        }
        catch (FormatException e)
        {
            throw new GgufFormatException($"the tokenizer in {file.Path} is malformed: {e.Message}", e);
        }

        return vocabulary;
    }

    private static int VocabSize(GgufFile file)
    {
        if (file.Metadata.TryGetValue("tokenizer.ggml.tokens", out var tokens) && tokens.Type == GgufValueType.Array && tokens.ArrayLength > 0)
        {
            return tokens.ArrayLength;
        }

        if (file.ContainsKey("llama.vocab_size"))
        {
            return Positive(file, "llama.vocab_size");
        }

        if (file.TryGetTensor("token_embd.weight", out var embd) && embd.Dimensions.Count == 2 && embd.Dimensions[1] is > 0 and <= int.MaxValue)
        {
            return (int)embd.Dimensions[1];
        }

        throw new GgufFormatException($"no vocabulary size: none of 'tokenizer.ggml.tokens', 'llama.vocab_size' or a 2-D 'token_embd.weight' in {file.Path}");
    }

    private static int Positive(GgufFile file, string key)
    {
        var v = file.GetInt64(key);
        return v is > 0 and <= int.MaxValue ? (int)v : throw new GgufFormatException($"metadata '{key}' is {v}, expected a positive int32 in {file.Path}");
    }
}
