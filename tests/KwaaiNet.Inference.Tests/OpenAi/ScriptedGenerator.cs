// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Runtime.CompilerServices;
using KwaaiNet.Inference.Generation;
using KwaaiNet.Inference.OpenAi;
using KwaaiNet.Inference.Tokenization;

namespace KwaaiNet.Inference.Tests.OpenAi;

/// <summary>
/// Character tokens (id = UTF-16 code unit, 0 ends a generation); generates <see cref="Reply"/> then the stop token, or
/// fails with <see cref="InvalidOperationException"/> after <c>failAfter</c> tokens.
/// </summary>
internal sealed class ScriptedGenerator(string modelId, int? failAfter) : ITextGenerator
{
    public const string Reply = "scripted reply";
    public const int Context = 256;

    public string ModelId => modelId;

    public int ContextLength => Context;

    public IReadOnlySet<int> StopTokenIds { get; } = new HashSet<int> { 0 };

    public IReadOnlyList<int> EncodePrompt(string text) => [.. text.Select(static c => (int)c)];

    public IReadOnlyList<int> EncodeChat(IReadOnlyList<ChatMessage> messages) => EncodePrompt(string.Join('\n', messages.Select(static m => m.Content)));

    public string Decode(IReadOnlyList<int> ids) => new([.. ids.Select(static id => (char)id)]);

    public async IAsyncEnumerable<GeneratedToken> GenerateAsync(
        IReadOnlyList<int> promptIds, GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        int[] reply = [.. Reply.Select(static c => (int)c), 0];
        for (var i = 0; i < reply.Length; i++)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            if (i == failAfter)
            {
                throw new InvalidOperationException("the chain lost a server");
            }

            var last = i == reply.Length - 1;
            var length = !last && i + 1 == request.MaxNewTokens;
            yield return new GeneratedToken(reply[i], i, last ? GenerationFinishReason.Stop : length ? GenerationFinishReason.Length : null);
            if (length)
            {
                yield break;
            }
        }
    }
}
