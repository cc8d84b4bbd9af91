// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Tokenization;

/// <summary>Builds tokenizers from GGUF vocabularies.</summary>
public static class TextTokenizer
{
    // Texts of control tokens that end a turn in common chat models (llama.cpp stops on the same set).
    private static readonly HashSet<string> EndOfGenerationTexts =
    [
        "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "</s>", "<|im_end|>", "<|endoftext|>", "<end_of_turn>", "<|end|>",
    ];

    /// <summary>
    /// Builds the tokenizer <paramref name="vocabulary"/> describes: byte-level BPE for <c>"gpt2"</c>, SentencePiece
    /// (score-based bigram merges with byte fallback) for <c>"llama"</c>.
    /// </summary>
    /// <param name="vocabulary">The vocabulary; validated first.</param>
    /// <returns>The tokenizer.</returns>
    /// <exception cref="FormatException">The vocabulary is malformed or lacks what its model needs.</exception>
    public static ITextTokenizer FromVocabulary(GgufVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        vocabulary.Validate();
        return vocabulary.IsByteLevelBpe
            ? new ByteLevelBpeTokenizer(vocabulary)
            : new SentencePieceBigramTokenizer(vocabulary);
    }

    /// <summary>The ids at which generation stops: EOS and the end-of-turn control tokens.</summary>
    internal static HashSet<int> EndOfGenerationIds(GgufVocabulary vocabulary)
    {
        var ids = new HashSet<int> { vocabulary.EosId };
        for (var id = 0; id < vocabulary.Tokens.Count; id++)
        {
            if (vocabulary.TypeOf(id) == GgufTokenType.Control && EndOfGenerationTexts.Contains(vocabulary.Tokens[id]))
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    /// <summary>Token text to id; a repeated text keeps its last id, as llama.cpp's loader does.</summary>
    internal static Dictionary<string, int> TokenIds(GgufVocabulary vocabulary)
    {
        var ids = new Dictionary<string, int>(vocabulary.Tokens.Count, StringComparer.Ordinal);
        for (var id = 0; id < vocabulary.Tokens.Count; id++)
        {
            ids[vocabulary.Tokens[id]] = id;
        }

        return ids;
    }
}
