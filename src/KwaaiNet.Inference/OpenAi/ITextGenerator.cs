// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Generation;
using KwaaiNet.Inference.Tokenization;

namespace KwaaiNet.Inference.OpenAi;

/// <summary>
/// One model ready to generate: the tokenizer operations the OpenAI-compatible API needs (prompts, chat messages in the
/// model's chat format, decoding, stop tokens) and the generation itself.
/// </summary>
public interface ITextGenerator
{
    /// <summary>The model id the API answers with.</summary>
    string ModelId { get; }

    /// <summary>The most tokens a generation holds, prompt and completion together.</summary>
    int ContextLength { get; }

    /// <summary>The tokens that end a generation (the vocabulary's end-of-generation ids).</summary>
    IReadOnlySet<int> StopTokenIds { get; }

    /// <summary>Encodes a plain prompt, with the BOS token when the model wants one.</summary>
    /// <param name="text">The prompt.</param>
    /// <returns>The token ids.</returns>
    IReadOnlyList<int> EncodePrompt(string text);

    /// <summary>
    /// Renders a conversation with the model's chat format, ending with the assistant's header, and encodes it.
    /// </summary>
    /// <param name="messages">The messages in order.</param>
    /// <returns>The token ids.</returns>
    /// <exception cref="ArgumentException">The roles do not fit the model's chat format.</exception>
    IReadOnlyList<int> EncodeChat(IReadOnlyList<ChatMessage> messages);

    /// <summary>
    /// Decodes a whole generated sequence. To stream text, decode the growing sequence and emit what was added: a
    /// character can span several byte tokens (an incomplete one decodes to U+FFFD at the end).
    /// </summary>
    /// <param name="ids">Token ids, each in the vocabulary.</param>
    /// <returns>The text.</returns>
    string Decode(IReadOnlyList<int> ids);

    /// <summary>
    /// Streams the tokens generated after <paramref name="promptIds"/>; the last item carries the
    /// <see cref="GeneratedToken.FinishReason"/>. Leaving the enumeration early ends the generation.
    /// </summary>
    /// <param name="promptIds">The prompt's token ids.</param>
    /// <param name="request">Sampling, the token limit and the stop tokens.</param>
    /// <param name="cancellationToken">Stops the generation.</param>
    /// <returns>The tokens.</returns>
    /// <exception cref="ArgumentException">The prompt is empty or, with the token limit, longer than the model holds.</exception>
    IAsyncEnumerable<GeneratedToken> GenerateAsync(IReadOnlyList<int> promptIds, GenerationRequest request, CancellationToken cancellationToken);
}
