// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Generation;
using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Model;
using KwaaiNet.Inference.Tokenization;

namespace KwaaiNet.Petals.Client;

/// <summary>
/// The parts of a model the client runs itself (petals' <c>DistributedLlamaForCausalLM</c> holds the same): the token
/// embedding, the final norm with the LM head (<see cref="LlamaClientModel"/>), and the tokenizer of the GGUF file's
/// vocabulary, with its end-of-generation tokens.
/// </summary>
public sealed class LocalModelParts : IDisposable
{
    private static readonly IReadOnlySet<int> NoStops = new HashSet<int>();

    private LocalModelParts(LlamaClientModel model, ModelTextFormat? format, string? tokenizerProblem)
    {
        Model = model;
        Format = format;
        TokenizerProblem = tokenizerProblem;
    }

    /// <summary>The embedding and the head.</summary>
    public LlamaClientModel Model { get; }

    /// <summary>The model's shape.</summary>
    public LlamaConfig Config => Model.Config;

    /// <summary>
    /// The tokenizer, chat format and stop tokens; null when this file's vocabulary cannot be read
    /// (<see cref="TokenizerProblem"/> says why).
    /// </summary>
    public ModelTextFormat? Format { get; }

    /// <summary>The tokenizer; null when this file's vocabulary cannot be read (<see cref="TokenizerProblem"/> says why).</summary>
    public ITextTokenizer? Tokenizer => Format?.Tokenizer;

    /// <summary>Why there is no tokenizer; null when there is one.</summary>
    public string? TokenizerProblem { get; }

    /// <summary>Whether prompts start with BOS (GGUF <c>tokenizer.ggml.add_bos_token</c>).</summary>
    public bool AddBos => Format?.AddBos ?? true;

    /// <summary>The vocabulary's end-of-generation tokens; empty without a tokenizer.</summary>
    public IReadOnlySet<int> StopTokenIds => Format?.StopTokenIds ?? NoStops;

    /// <summary>Loads the parts from the GGUF file at <paramref name="path"/> (fp32 graphs on the CPU).</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="FormatException">The file is not a Llama GGUF model.</exception>
    /// <exception cref="InvalidDataException">A tensor is missing or has the wrong shape.</exception>
    public static LocalModelParts Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = GgufFile.Open(path);
        var model = new LlamaClientModel(new GgufLlamaWeights(file));
        try
        {
            return new LocalModelParts(model, ModelTextFormat.FromVocabulary(LlamaGguf.ReadVocabulary(file)), null);
        }
        catch (FormatException ex)
        {
            return new LocalModelParts(model, null, ex.Message);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => Model.Dispose();
}
