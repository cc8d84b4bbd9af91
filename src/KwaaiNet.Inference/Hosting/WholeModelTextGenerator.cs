// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Runtime.CompilerServices;
using KwaaiNet.Inference.Generation;
using KwaaiNet.Inference.OpenAi;
using KwaaiNet.Inference.Tokenization;

namespace KwaaiNet.Inference.Hosting;

/// <summary>
/// Text generation with the whole model this worker holds: prompts and chat messages as the model wants them, and
/// generations counted in the worker's token reports. Shared by the gRPC Generate call and the OpenAI-compatible API.
/// </summary>
internal sealed class WholeModelTextGenerator(WholeModel whole, string modelId, int contextLength, TokenMeter meter) : ITextGenerator
{
    public string ModelId { get; } = modelId;

    public int ContextLength { get; } = contextLength;

    public IReadOnlySet<int> StopTokenIds => whole.StopTokenIds;

    public int VocabSize => whole.Tokenizer.VocabSize;

    public IReadOnlyList<int> EncodePrompt(string text) => whole.Format.EncodePrompt(text);

    public IReadOnlyList<int> EncodeChat(IReadOnlyList<ChatMessage> messages) => whole.Format.EncodeChat(messages);

    public string Decode(IReadOnlyList<int> ids) => whole.Format.Decode(ids);

    public IAsyncEnumerable<GeneratedToken> GenerateAsync(IReadOnlyList<int> promptIds, GenerationRequest request, CancellationToken cancellationToken) =>
        MeteredAsync(promptIds.Count, whole.Generator.GenerateAsync(promptIds, request, cancellationToken), cancellationToken);

    /// <summary>Counts the prompt's tokens with the first step, one per later step, and each generated text token.</summary>
    private async IAsyncEnumerable<GeneratedToken> MeteredAsync(
        int promptTokens, IAsyncEnumerable<GeneratedToken> tokens, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var first = true;
        await foreach (var token in tokens.WithCancellation(cancellationToken))
        {
            meter.AddStep(first ? promptTokens : 1);
            first = false;
            if (token.IsText)
            {
                meter.AddGenerated();
            }

            yield return token;
        }
    }
}
