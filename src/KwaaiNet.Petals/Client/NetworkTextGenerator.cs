// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Generation;
using KwaaiNet.Inference.OpenAi;
using KwaaiNet.Inference.Tokenization;

namespace KwaaiNet.Petals.Client;

/// <summary>
/// A model the network's span chains run, for the OpenAI-compatible API: prompts and chat messages as the model's
/// local parts tokenize them, every generation through the <see cref="DistributedGenerator"/>.
/// </summary>
internal sealed class NetworkTextGenerator(DistributedGenerator generator, ModelTextFormat format, string modelId, int contextLength) : ITextGenerator
{
    public string ModelId { get; } = modelId;

    public int ContextLength { get; } = contextLength;

    public IReadOnlySet<int> StopTokenIds => format.StopTokenIds;

    public IReadOnlyList<int> EncodePrompt(string text) => format.EncodePrompt(text);

    public IReadOnlyList<int> EncodeChat(IReadOnlyList<ChatMessage> messages) => format.EncodeChat(messages);

    public string Decode(IReadOnlyList<int> ids) => format.Decode(ids);

    public IAsyncEnumerable<GeneratedToken> GenerateAsync(IReadOnlyList<int> promptIds, GenerationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(promptIds);
        ArgumentNullException.ThrowIfNull(request);
        if (promptIds.Count + request.MaxNewTokens > ContextLength)
        {
            throw new ArgumentException(
                $"the prompt's {promptIds.Count} tokens and {request.MaxNewTokens} new tokens exceed the model's {ContextLength}", nameof(promptIds));
        }

        return generator.GenerateAsync(promptIds, request, cancellationToken);
    }
}
