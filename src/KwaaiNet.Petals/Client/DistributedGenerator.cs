// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using KwaaiNet.Inference.Generation;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Petals.Client;

/// <summary>
/// Generates text with a model no single node holds: the embedding, final norm, LM head and sampler run here
/// (<see cref="LocalModelParts"/>), every decoder block on the network's servers through a
/// <see cref="DistributedInferenceSession"/>. Each generation runs the prompt in one step, then one step per new
/// token, exactly as <see cref="LlamaGenerator"/> does in one process, so greedy output is the same token for token.
/// One <c>KwaaiNet.Petals.Client</c> activity per generation, one per hop step inside it.
/// </summary>
/// <remarks>Thread-safe: concurrent generations each have their own session and sampler.</remarks>
public sealed class DistributedGenerator : IDisposable
{
    private readonly LocalModelParts _parts;
    private readonly RouteFinder _routes;
    private readonly IRemoteSpanSessionFactory _sessions;
    private readonly ClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the generator; it owns <paramref name="parts"/>.</summary>
    /// <param name="parts">The embedding, head and tokenizer.</param>
    /// <param name="dhtPrefix">The model's dht prefix on the network.</param>
    /// <param name="routes">Finds routes and holds the bans.</param>
    /// <param name="sessions">Opens span sessions over the chosen protocol.</param>
    /// <param name="options">Timeouts and the retry policy.</param>
    /// <param name="timeProvider">The clock of the retry delays and bans.</param>
    /// <param name="logger">Logs routes and re-routes.</param>
    public DistributedGenerator(
        LocalModelParts parts,
        string dhtPrefix,
        RouteFinder routes,
        IRemoteSpanSessionFactory sessions,
        ClientOptions options,
        TimeProvider timeProvider,
        ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentException.ThrowIfNullOrEmpty(dhtPrefix);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _parts = parts;
        DhtPrefix = dhtPrefix;
        _routes = routes;
        _sessions = sessions;
        _options = options;
        _time = timeProvider;
        _logger = logger;
    }

    /// <summary>The local parts: the model's shape, tokenizer and stop tokens.</summary>
    public LocalModelParts Parts => _parts;

    /// <summary>The model's dht prefix on the network.</summary>
    public string DhtPrefix { get; }

    /// <summary>
    /// Streams the tokens generated after <paramref name="promptIds"/>, as <see cref="LlamaGenerator.GenerateAsync"/>
    /// does: the last item carries the <see cref="GeneratedToken.FinishReason"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The prompt is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A prompt id is outside the vocabulary, or a request value is out of range.</exception>
    /// <exception cref="DistributedInferenceException">(While enumerating) the network could not run a step after every retry.</exception>
    public IAsyncEnumerable<GeneratedToken> GenerateAsync(IReadOnlyList<int> promptIds, GenerationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(promptIds);
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        if (promptIds.Count == 0)
        {
            throw new ArgumentException("the prompt needs at least one token", nameof(promptIds));
        }

        var vocab = _parts.Config.VocabSize;
        List<int> history = new(promptIds.Count + request.MaxNewTokens);
        for (var i = 0; i < promptIds.Count; i++)
        {
            var id = promptIds[i];
            if ((uint)id >= (uint)vocab)
            {
                throw new ArgumentOutOfRangeException(nameof(promptIds), id, Invariant($"prompt token {i} is id {id}, outside the vocabulary [0, {vocab})"));
            }

            history.Add(id);
        }

        return GenerateCoreAsync(history, request, cancellationToken);
    }

    /// <inheritdoc/>
    public void Dispose() => _parts.Dispose();

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private async IAsyncEnumerable<GeneratedToken> GenerateCoreAsync(
        List<int> history, GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var activity = DistributedInferenceSession.Activities.StartActivity("generate", ActivityKind.Client);
        activity?.SetTag("kwaainet.dht_prefix", DhtPrefix);
        activity?.SetTag("kwaainet.prompt_tokens", history.Count);
        activity?.SetTag("kwaainet.max_new_tokens", request.MaxNewTokens);
        var config = _parts.Config;
        var sampler = new TokenSampler(request.Sampling);
        await using var session = new DistributedInferenceSession(
            _routes, _sessions, DhtPrefix, config.LayerCount, history.Count + request.MaxNewTokens, _options, _time, _logger);
        var fed = 0;
        for (var generated = 0; generated < request.MaxNewTokens;)
        {
            // An async iterator resumes in its caller's execution context, where the generation's activity is not
            // current: every hop step after the first token would otherwise be parented by the caller, not by it.
            if (activity is not null)
            {
                Activity.Current = activity;
            }

            var count = history.Count - fed;
            var hidden = _parts.Model.Embed(CollectionsMarshal.AsSpan(history)[fed..]);
            var output = await session.StepAsync(hidden, count, cancellationToken);
            var logits = _parts.Model.Logits(output.AsSpan((count - 1) * config.HiddenSize, config.HiddenSize));
            var id = sampler.Next(logits, CollectionsMarshal.AsSpan(history));
            fed = history.Count;
            history.Add(id);
            var index = generated++;
            GenerationFinishReason? reason =
                request.StopTokenIds?.Contains(id) == true ? GenerationFinishReason.Stop
                : generated == request.MaxNewTokens ? GenerationFinishReason.Length
                : null;
            yield return new GeneratedToken(id, index, reason);
            if (reason is not null)
            {
                activity?.SetTag("kwaainet.generated_tokens", generated);
                yield break;
            }
        }
    }
}
