// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Generation;
using KwaaiNet.Inference.Tokenization;

namespace KwaaiNet.Inference.Hosting;

/// <summary>What a worker holding every block adds to generate text: embeddings, head, tokenizer and chat format.</summary>
internal sealed class WholeModel(LlamaClientModel client, LlamaGenerator generator, ITextTokenizer tokenizer, ChatFormat chat, bool addBos) : IDisposable
{
    public LlamaGenerator Generator { get; } = generator;

    public ITextTokenizer Tokenizer { get; } = tokenizer;

    public ChatFormat Chat { get; } = chat;

    /// <summary>Whether prompts start with BOS (GGUF <c>tokenizer.ggml.add_bos_token</c>).</summary>
    public bool AddBos { get; } = addBos;

    /// <summary>The vocabulary's end-of-generation tokens, which end a generation.</summary>
    public IReadOnlySet<int> StopTokenIds { get; } =
        Enumerable.Range(0, tokenizer.VocabSize).Where(tokenizer.IsEndOfGeneration).ToHashSet();

    public void Dispose() => client.Dispose();
}
