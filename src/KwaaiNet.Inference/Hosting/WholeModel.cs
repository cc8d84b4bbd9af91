// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Generation;
using KwaaiNet.Inference.Tokenization;

namespace KwaaiNet.Inference.Hosting;

/// <summary>What a worker holding every block adds to generate text: embeddings, head, tokenizer and chat format.</summary>
internal sealed class WholeModel(LlamaClientModel client, LlamaGenerator generator, ModelTextFormat format) : IDisposable
{
    public LlamaGenerator Generator { get; } = generator;

    /// <summary>The tokenizer, chat format and stop tokens.</summary>
    public ModelTextFormat Format { get; } = format;

    public ITextTokenizer Tokenizer => Format.Tokenizer;

    public ChatFormat Chat => Format.Chat;

    /// <summary>Whether prompts start with BOS (GGUF <c>tokenizer.ggml.add_bos_token</c>).</summary>
    public bool AddBos => Format.AddBos;

    /// <summary>The vocabulary's end-of-generation tokens, which end a generation.</summary>
    public IReadOnlySet<int> StopTokenIds => Format.StopTokenIds;

    public void Dispose() => client.Dispose();
}
