// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Tokenization;

/// <summary>
/// How text goes in and out of a model: its tokenizer, its chat format and whether prompts start with BOS. Shared by the
/// worker that holds the whole model and by the distributed client, so both render and encode a conversation alike.
/// </summary>
public sealed class ModelTextFormat
{
    /// <summary>Creates the format.</summary>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="chat">The model's chat format.</param>
    /// <param name="addBos">Whether prompts start with BOS (GGUF <c>tokenizer.ggml.add_bos_token</c>).</param>
    public ModelTextFormat(ITextTokenizer tokenizer, ChatFormat chat, bool addBos)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(chat);
        Tokenizer = tokenizer;
        Chat = chat;
        AddBos = addBos;
        StopTokenIds = Enumerable.Range(0, tokenizer.VocabSize).Where(tokenizer.IsEndOfGeneration).ToHashSet();
    }

    /// <summary>The tokenizer.</summary>
    public ITextTokenizer Tokenizer { get; }

    /// <summary>The chat format.</summary>
    public ChatFormat Chat { get; }

    /// <summary>Whether prompts start with BOS.</summary>
    public bool AddBos { get; }

    /// <summary>The vocabulary's end-of-generation tokens, which end a generation.</summary>
    public IReadOnlySet<int> StopTokenIds { get; }

    /// <summary>
    /// The format of a GGUF vocabulary: its tokenizer and the chat format its <c>tokenizer.chat_template</c> names.
    /// </summary>
    /// <exception cref="FormatException">The vocabulary cannot be tokenized with.</exception>
    public static ModelTextFormat FromVocabulary(GgufVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        return new ModelTextFormat(
            TextTokenizer.FromVocabulary(vocabulary), ChatTemplate.Detect(vocabulary.ChatTemplate, vocabulary), vocabulary.AddBos);
    }

    /// <summary>Encodes a plain prompt, with BOS when the model wants one.</summary>
    public IReadOnlyList<int> EncodePrompt(string text) => Tokenizer.Encode(text, AddBos);

    /// <summary>Renders a conversation with the chat format, ending with the assistant's header, and encodes it.</summary>
    /// <exception cref="ArgumentException">The roles do not fit the chat format.</exception>
    public IReadOnlyList<int> EncodeChat(IReadOnlyList<ChatMessage> messages)
    {
        var text = Chat.Render(messages, addGenerationPrompt: true);
        return Tokenizer.Encode(text, AddBos && !Chat.RendersBos);
    }

    /// <summary>Decodes token ids to text.</summary>
    public string Decode(IReadOnlyList<int> ids) => Tokenizer.Decode(ids);
}
