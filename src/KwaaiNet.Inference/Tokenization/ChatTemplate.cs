// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Tokenization;

/// <summary>
/// Picks a <see cref="ChatFormat"/> for a model from its GGUF <c>tokenizer.chat_template</c>. The Jinja template is
/// not run: its marker substrings name the format.
/// </summary>
public static class ChatTemplate
{
    /// <summary>
    /// Detects the format. Markers in the template, in this order: <c>&lt;|start_header_id|&gt;</c> → Llama-3,
    /// <c>&lt;|im_start|&gt;</c> → ChatML, <c>&lt;|user|&gt;</c> → Zephyr, <c>[INST]</c> → Llama-2. Without a
    /// template or a known marker, the vocabulary decides: Llama-3 when it has a <c>&lt;|start_header_id|&gt;</c>
    /// token, ChatML when it has <c>&lt;|im_start|&gt;</c>, otherwise Llama-2 (the chat format of the SentencePiece
    /// Llama models that ship without a template).
    /// </summary>
    /// <param name="template">The template, or null.</param>
    /// <param name="vocabulary">The model's vocabulary: its BOS and EOS texts go into the rendered prompt.</param>
    /// <returns>The format.</returns>
    public static ChatFormat Detect(string? template, GgufVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        var bos = TokenText(vocabulary, vocabulary.BosId, "tokenizer.ggml.bos_token_id");
        var eos = TokenText(vocabulary, vocabulary.EosId, "tokenizer.ggml.eos_token_id");
        return new ChatFormat(KindOf(template, vocabulary), bos, eos);
    }

    private static ChatTemplateKind KindOf(string? template, GgufVocabulary vocabulary)
    {
        if (template is not null)
        {
            if (template.Contains("<|start_header_id|>", StringComparison.Ordinal))
            {
                return ChatTemplateKind.Llama3;
            }

            if (template.Contains("<|im_start|>", StringComparison.Ordinal))
            {
                return ChatTemplateKind.ChatMl;
            }

            if (template.Contains("<|user|>", StringComparison.Ordinal))
            {
                return ChatTemplateKind.Zephyr;
            }

            if (template.Contains("[INST]", StringComparison.Ordinal))
            {
                return ChatTemplateKind.Llama2;
            }
        }

        if (vocabulary.Tokens.Contains("<|start_header_id|>"))
        {
            return ChatTemplateKind.Llama3;
        }

        return vocabulary.Tokens.Contains("<|im_start|>") ? ChatTemplateKind.ChatMl : ChatTemplateKind.Llama2;
    }

    private static string TokenText(GgufVocabulary vocabulary, int id, string key) =>
        id >= 0 && id < vocabulary.Tokens.Count
            ? vocabulary.Tokens[id]
            : throw new FormatException($"{key} is {id}, outside the vocabulary of {vocabulary.Tokens.Count} tokens.");
}
