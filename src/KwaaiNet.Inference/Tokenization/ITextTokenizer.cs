// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Tokenization;

/// <summary>Turns text into token ids and back, for one model's vocabulary.</summary>
public interface ITextTokenizer
{
    /// <summary>Tokens in the vocabulary.</summary>
    int VocabSize { get; }

    /// <summary>The beginning-of-sequence token.</summary>
    int BosId { get; }

    /// <summary>The end-of-sequence token.</summary>
    int EosId { get; }

    /// <summary>
    /// Encodes <paramref name="text"/>. Control and user-defined tokens written in the text (<c>&lt;|eot_id|&gt;</c>)
    /// become their ids.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="addBos">Whether to start with <see cref="BosId"/> (GGUF <c>tokenizer.ggml.add_bos_token</c> says
    /// whether the model wants it).</param>
    /// <returns>The token ids.</returns>
    IReadOnlyList<int> Encode(string text, bool addBos);

    /// <summary>
    /// Decodes ids to text. Control tokens print nothing; byte sequences that are not valid UTF-8 become U+FFFD.
    /// SentencePiece vocabularies drop the one space the encoder prefixed, from the first printed piece.
    /// </summary>
    /// <remarks>
    /// Decode whole sequences: to stream generated text, decode the growing sequence and emit what was added, since
    /// a character can span several byte tokens and a lone SentencePiece piece loses its leading space.
    /// </remarks>
    /// <param name="ids">Token ids, each in <c>[0, VocabSize)</c>.</param>
    /// <returns>The text.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    string Decode(IEnumerable<int> ids);

    /// <summary>
    /// Whether generation stops at <paramref name="id"/>: the EOS token, or a control token that ends a turn
    /// (<c>&lt;|eot_id|&gt;</c>, <c>&lt;|eom_id|&gt;</c>, <c>&lt;|end_of_text|&gt;</c>, <c>&lt;/s&gt;</c>,
    /// <c>&lt;|im_end|&gt;</c>, <c>&lt;|endoftext|&gt;</c>, <c>&lt;end_of_turn&gt;</c>, <c>&lt;|end|&gt;</c>).
    /// </summary>
    /// <param name="id">A token id.</param>
    /// <returns>True when the id ends generation.</returns>
    bool IsEndOfGeneration(int id);
}
