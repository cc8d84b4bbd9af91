// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using KwaaiNet.Inference.Sessions;

namespace KwaaiNet.Inference.Generation;

/// <summary>
/// Generates text with a whole model in one process: the client's embedding and head (<see cref="LlamaClientModel"/>)
/// around a span that holds every decoder layer (<see cref="SpanSessionManager"/>). Each generation opens its own span
/// session, runs the prompt in one step (prefill), then one step per new token, and closes the session when it ends,
/// fails, is cancelled or is abandoned.
/// </summary>
/// <remarks>Thread-safe: concurrent generations each have their own session and sampler.</remarks>
public sealed class LlamaGenerator
{
    private readonly LlamaClientModel _client;
    private readonly SpanSessionManager _span;

    /// <summary>Creates the generator; it owns neither argument.</summary>
    /// <param name="client">The embedding and head.</param>
    /// <param name="span">Sessions through a span of every layer <c>[0, LayerCount)</c> of the same model.</param>
    /// <exception cref="ArgumentException">The span does not cover every layer, or belongs to a model of another shape.</exception>
    public LlamaGenerator(LlamaClientModel client, SpanSessionManager span)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(span);
        var model = span.Model;
        if (model.Config != client.Config)
        {
            throw new ArgumentException(
                Invariant($"the span belongs to a model of another shape ({model.Config}) than the client's ({client.Config})"), nameof(span));
        }

        if (model.Start != 0 || model.End != client.Config.LayerCount)
        {
            throw new ArgumentException(
                Invariant($"the span holds layers [{model.Start}, {model.End}); generating in one process needs every layer [0, {client.Config.LayerCount})"),
                nameof(span));
        }

        _client = client;
        _span = span;
    }

    /// <summary>
    /// Streams the tokens generated after <paramref name="promptIds"/>. The last item carries the
    /// <see cref="GeneratedToken.FinishReason"/>; with <see cref="GenerationFinishReason.Stop"/> it is the stop token.
    /// </summary>
    /// <param name="promptIds">The prompt's token ids (with the BOS token if the model wants one); at least one.</param>
    /// <param name="request">Sampling, the token limit and the stop tokens.</param>
    /// <param name="cancellationToken">Stops the generation (a step in flight is terminated); the session is closed.</param>
    /// <returns>
    /// The tokens, one per model step. The arguments are checked at once; the session is opened when enumeration starts
    /// (an <see cref="InferenceSessionException"/> then if the KV-cache budget is short).
    /// </returns>
    /// <exception cref="ArgumentException">
    /// The prompt is empty, or the prompt plus <see cref="GenerationRequest.MaxNewTokens"/> is longer than the span holds.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException">A prompt id is outside the vocabulary, or a request value is out of range.</exception>
    public IAsyncEnumerable<GeneratedToken> GenerateAsync(
        IReadOnlyList<int> promptIds, GenerationRequest request, CancellationToken cancellationToken = default)
    {
        var history = Check(promptIds, request);
        return GenerateCoreAsync(history, request, cancellationToken);
    }

    /// <summary>
    /// Generates synchronously on the calling thread, for tests and tools: the ids <see cref="GenerateAsync"/> would
    /// stream, the stop token included when one ended the generation.
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="GenerateAsync"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="GenerateAsync"/>.</exception>
    public IReadOnlyList<int> Generate(IReadOnlyList<int> promptIds, GenerationRequest request, CancellationToken cancellationToken = default)
    {
        var history = Check(promptIds, request);
        var session = _span.Open(history.Count + request.MaxNewTokens);
        try
        {
            var run = new Run(this, session, history, request);
            List<int> ids = [];
            GeneratedToken token;
            do
            {
                token = run.Next(cancellationToken);
                ids.Add(token.Id);
            }
            while (token.FinishReason is null);

            return ids;
        }
        finally
        {
            _span.Close(session);
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private List<int> Check(IReadOnlyList<int> promptIds, GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(promptIds);
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        if (promptIds.Count == 0)
        {
            throw new ArgumentException("the prompt needs at least one token", nameof(promptIds));
        }

        var vocab = _client.Config.VocabSize;
        List<int> history = new(promptIds.Count + request.MaxNewTokens);
        for (var i = 0; i < promptIds.Count; i++)
        {
            var id = promptIds[i];
            if ((uint)id >= (uint)vocab)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(promptIds), id, Invariant($"prompt token {i} is id {id}, outside the vocabulary [0, {vocab})"));
            }

            history.Add(id);
        }

        var max = _span.Model.MaxSequenceLength;
        if ((long)promptIds.Count + request.MaxNewTokens > max)
        {
            throw new ArgumentException(
                Invariant($"{promptIds.Count} prompt tokens + {request.MaxNewTokens} new tokens = {(long)promptIds.Count + request.MaxNewTokens}, more than the {max} the model holds"),
                nameof(request));
        }

        return history;
    }

    private async IAsyncEnumerable<GeneratedToken> GenerateCoreAsync(
        List<int> history, GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var session = _span.Open(history.Count + request.MaxNewTokens);
        try
        {
            var run = new Run(this, session, history, request);
            while (true)
            {
                // Steps are synchronous ONNX Runtime runs: they go to the thread pool so the caller's thread is free,
                // and each item is handed over between steps, so a gRPC stream can flush token by token.
                var token = await Task.Run(() => run.Next(cancellationToken), cancellationToken);
                yield return token;
                if (token.FinishReason is not null)
                {
                    yield break;
                }
            }
        }
        finally
        {
            _span.Close(session);
        }
    }

    /// <summary>One generation's state: the sequence so far, how much of it the span has seen, and the sampler.</summary>
    private sealed class Run(LlamaGenerator generator, SpanSession session, List<int> history, GenerationRequest request)
    {
        private readonly TokenSampler _sampler = new(request.Sampling);
        private int _fed;
        private int _generated;

        /// <summary>Runs the tokens the span has not seen yet (the whole prompt first, then the last token) and samples.</summary>
        public GeneratedToken Next(CancellationToken cancellationToken)
        {
            var client = generator._client;
            var count = history.Count - _fed;
            var hidden = client.Embed(CollectionsMarshal.AsSpan(history)[_fed..]);
            var output = generator._span.Step(session, hidden, count, cancellationToken);
            var d = client.Config.HiddenSize;
            var logits = client.Logits(output.AsSpan((count - 1) * d, d));
            var id = _sampler.Next(logits, CollectionsMarshal.AsSpan(history));

            _fed = history.Count;
            history.Add(id);
            var index = _generated++;
            GenerationFinishReason? reason =
                request.StopTokenIds?.Contains(id) == true ? GenerationFinishReason.Stop
                : _generated == request.MaxNewTokens ? GenerationFinishReason.Length
                : null;
            return new GeneratedToken(id, index, reason);
        }
    }
}
