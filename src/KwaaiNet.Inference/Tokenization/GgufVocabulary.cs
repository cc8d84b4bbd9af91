// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Tokenization;

/// <summary>
/// A tokenizer vocabulary as GGUF metadata gives it (<c>tokenizer.ggml.*</c> keys), taken as plain data so that any
/// reader can fill it. <see cref="Validate"/> checks it before a tokenizer is built from it.
/// </summary>
public sealed record GgufVocabulary
{
    /// <summary>The most tokens a vocabulary may have (Llama-3 has 128,256; Gemma 262,144).</summary>
    public const int MaxTokens = 1 << 20;

    /// <summary>The most merges a vocabulary may have (Llama-3 has about 280,000).</summary>
    public const int MaxMerges = 1 << 21;

    /// <summary>The longest token text accepted, in UTF-16 code units.</summary>
    public const int MaxTokenLength = 4096;

    /// <summary>The longest chat template accepted, in UTF-16 code units.</summary>
    public const int MaxChatTemplateLength = 1 << 20;

    /// <summary>
    /// <c>tokenizer.ggml.model</c>: <c>"gpt2"</c> (byte-level BPE, as Llama-3) or <c>"llama"</c> (SentencePiece, as
    /// Llama-2).
    /// </summary>
    public required string Model { get; init; }

    /// <summary>
    /// <c>tokenizer.ggml.pre</c>: the pre-tokenizer of a <c>"gpt2"</c> model (<c>"llama-bpe"</c>, <c>"default"</c>,
    /// …); null when absent.
    /// </summary>
    public string? Pre { get; init; }

    /// <summary><c>tokenizer.ggml.tokens</c>: token texts, indexed by id.</summary>
    public required IReadOnlyList<string> Tokens { get; init; }

    /// <summary><c>tokenizer.ggml.scores</c>: one score per token (SentencePiece merge priority); null when absent.</summary>
    public IReadOnlyList<float>? Scores { get; init; }

    /// <summary><c>tokenizer.ggml.token_type</c>: one <see cref="GgufTokenType"/> value per token; null when absent.</summary>
    public IReadOnlyList<int>? TokenTypes { get; init; }

    /// <summary><c>tokenizer.ggml.merges</c>: BPE merges as <c>"left right"</c>, highest priority first.</summary>
    public IReadOnlyList<string>? Merges { get; init; }

    /// <summary><c>tokenizer.ggml.bos_token_id</c>.</summary>
    public required int BosId { get; init; }

    /// <summary><c>tokenizer.ggml.eos_token_id</c>.</summary>
    public required int EosId { get; init; }

    /// <summary><c>tokenizer.ggml.unknown_token_id</c>; null when absent.</summary>
    public int? UnknownId { get; init; }

    /// <summary><c>tokenizer.ggml.add_bos_token</c>: whether prompts start with BOS. Default true.</summary>
    public bool AddBos { get; init; } = true;

    /// <summary>
    /// <c>tokenizer.ggml.add_space_prefix</c>: whether SentencePiece text gets a leading space. Default true, as in
    /// llama.cpp.
    /// </summary>
    public bool AddSpacePrefix { get; init; } = true;

    /// <summary><c>tokenizer.chat_template</c> (a Jinja template, only inspected for markers); null when absent.</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>Whether <see cref="Model"/> is byte-level BPE (<c>"gpt2"</c>).</summary>
    public bool IsByteLevelBpe => string.Equals(Model, "gpt2", StringComparison.Ordinal);

    /// <summary>Whether <see cref="Model"/> is SentencePiece (<c>"llama"</c>).</summary>
    public bool IsSentencePiece => string.Equals(Model, "llama", StringComparison.Ordinal);

    /// <summary>The type of token <paramref name="id"/>: from <see cref="TokenTypes"/>, else inferred.</summary>
    /// <param name="id">A token id in range.</param>
    /// <returns>The given type; without types, BOS/EOS are control, the unknown id unknown, SentencePiece
    /// <c>&lt;0xXX&gt;</c> tokens byte, the rest normal.</returns>
    public GgufTokenType TypeOf(int id)
    {
        if (TokenTypes is { } types)
        {
            return types[id] == 0 ? GgufTokenType.Normal : (GgufTokenType)types[id];
        }

        if (id == BosId || id == EosId)
        {
            return GgufTokenType.Control;
        }

        if (id == UnknownId)
        {
            return GgufTokenType.Unknown;
        }

        return IsSentencePiece && Tokens[id] is ['<', '0', 'x', var high, var low, '>'] && char.IsAsciiHexDigit(high)
            && char.IsAsciiHexDigit(low)
            ? GgufTokenType.Byte
            : GgufTokenType.Normal;
    }

    /// <summary>Checks sizes, lengths and ids.</summary>
    /// <exception cref="FormatException">The vocabulary is malformed; the message says what is wrong.</exception>
    public void Validate()
    {
        if (!IsByteLevelBpe && !IsSentencePiece)
        {
            throw new FormatException(
                $"tokenizer.ggml.model '{Model}' is not supported: expected 'gpt2' (byte-level BPE) or 'llama' (SentencePiece).");
        }

        if (Tokens is null || Tokens.Count == 0)
        {
            throw new FormatException("tokenizer.ggml.tokens is empty.");
        }

        if (Tokens.Count > MaxTokens)
        {
            throw new FormatException($"tokenizer.ggml.tokens has {Tokens.Count} entries, more than the limit of {MaxTokens}.");
        }

        for (var i = 0; i < Tokens.Count; i++)
        {
            var token = Tokens[i];
            if (token is null)
            {
                throw new FormatException($"tokenizer.ggml.tokens[{i}] is null.");
            }

            if (token.Length > MaxTokenLength)
            {
                throw new FormatException(
                    $"tokenizer.ggml.tokens[{i}] is {token.Length} characters long, more than the limit of {MaxTokenLength}.");
            }
        }

        if (Scores is not null)
        {
            if (Scores.Count != Tokens.Count)
            {
                throw new FormatException(
                    $"tokenizer.ggml.scores has {Scores.Count} entries but tokenizer.ggml.tokens has {Tokens.Count}.");
            }

            for (var i = 0; i < Scores.Count; i++)
            {
                if (!float.IsFinite(Scores[i]))
                {
                    throw new FormatException($"tokenizer.ggml.scores[{i}] is not a finite number.");
                }
            }
        }

        if (TokenTypes is not null)
        {
            if (TokenTypes.Count != Tokens.Count)
            {
                throw new FormatException(
                    $"tokenizer.ggml.token_type has {TokenTypes.Count} entries but tokenizer.ggml.tokens has {Tokens.Count}.");
            }

            for (var i = 0; i < TokenTypes.Count; i++)
            {
                if (TokenTypes[i] is < 0 or > (int)GgufTokenType.Byte)
                {
                    throw new FormatException($"tokenizer.ggml.token_type[{i}] is {TokenTypes[i]}, not a token type (0 to 6).");
                }
            }
        }

        CheckId(BosId, "tokenizer.ggml.bos_token_id");
        CheckId(EosId, "tokenizer.ggml.eos_token_id");
        if (UnknownId is { } unknown)
        {
            CheckId(unknown, "tokenizer.ggml.unknown_token_id");
        }

        if (Merges is { Count: > MaxMerges })
        {
            throw new FormatException($"tokenizer.ggml.merges has {Merges.Count} entries, more than the limit of {MaxMerges}.");
        }

        if (IsByteLevelBpe && Merges is null)
        {
            throw new FormatException("tokenizer.ggml.merges is required for a 'gpt2' (byte-level BPE) vocabulary.");
        }

        if (IsSentencePiece && Scores is null)
        {
            throw new FormatException("tokenizer.ggml.scores is required for a 'llama' (SentencePiece) vocabulary.");
        }

        if (ChatTemplate is { Length: > MaxChatTemplateLength })
        {
            throw new FormatException(
                $"tokenizer.chat_template is {ChatTemplate.Length} characters long, more than the limit of {MaxChatTemplateLength}.");
        }
    }

    private void CheckId(int id, string key)
    {
        if (id < 0 || id >= Tokens.Count)
        {
            throw new FormatException($"{key} is {id}, outside the vocabulary of {Tokens.Count} tokens.");
        }
    }
}
