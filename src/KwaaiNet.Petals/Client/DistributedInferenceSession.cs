// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Petals.Client;

/// <summary>
/// One inference session through the whole model [0, block count): a chain of <see cref="IRemoteSpanSession"/>s along
/// the route (petals <c>client/inference_session.py</c> <c>InferenceSession</c>). Every hop keeps the history of its
/// inputs (the hidden states of all tokens it has taken). When a hop fails, the failure and the re-route are logged, the
/// server is banned, its session closed, a new route for the hop's blocks is found away from banned servers, new
/// sessions are opened, the WHOLE input history is replayed into them (their first step carries every history token at
/// position 0, rebuilding their caches), and the failed step is done again: the output is the same as if nothing had
/// failed. (Petals' own replay breaks after the first step, bigscience-workshop/petals#587; here the replay and the
/// step are separate requests, each at its right position.) Retries wait 0, then <c>MinBackoff · 2^(k−1)</c> up to
/// <c>MaxBackoff</c>, and give up after <c>MaxRetries</c> with a <see cref="DistributedInferenceException"/>.
/// </summary>
/// <remarks>Not thread-safe: steps are sequential, as a generation's are.</remarks>
public sealed class DistributedInferenceSession : IAsyncDisposable
{
    /// <summary>The activity source of the client: one activity per generation and per hop step.</summary>
    public const string ActivitySourceName = "KwaaiNet.Petals.Client";

    internal static readonly ActivitySource Activities = new(ActivitySourceName);

    private readonly RouteFinder _routes;
    private readonly IRemoteSpanSessionFactory _sessions;
    private readonly ClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _dhtPrefix;
    private readonly int _blockCount;
    private readonly int _maxLength;
    private readonly ActivityContext _parentActivity;
    private List<Hop>? _hops;
    private int _position;
    private bool _disposed;

    /// <summary>Creates the session; servers are found and sessions opened on the first step.</summary>
    /// <param name="routes">Finds routes and holds the bans.</param>
    /// <param name="sessions">Opens the span sessions.</param>
    /// <param name="dhtPrefix">The model's dht prefix.</param>
    /// <param name="blockCount">The model's number of blocks.</param>
    /// <param name="maxLength">The most tokens the session will hold (each server's <c>max_length</c>).</param>
    /// <param name="options">Timeouts and the retry policy.</param>
    /// <param name="timeProvider">The clock of the retry delays.</param>
    /// <param name="logger">Logs routes and re-routes.</param>
    public DistributedInferenceSession(
        RouteFinder routes,
        IRemoteSpanSessionFactory sessions,
        string dhtPrefix,
        int blockCount,
        int maxLength,
        ClientOptions options,
        TimeProvider timeProvider,
        ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentException.ThrowIfNullOrEmpty(dhtPrefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _routes = routes;
        _sessions = sessions;
        _dhtPrefix = dhtPrefix;
        _blockCount = blockCount;
        _maxLength = maxLength;
        _options = options;
        _time = timeProvider;
        _logger = logger;

        // The activity current at creation (a generation's) parents every hop step, also when steps run from an async
        // iterator, whose changes to Activity.Current do not survive a yield.
        _parentActivity = Activity.Current?.Context ?? default;
    }

    /// <summary>The tokens the session has taken so far.</summary>
    public int Position => _position;

    /// <summary>The route now; empty before the first step.</summary>
    public IReadOnlyList<RouteSpan> Route => _hops?.Select(static h => h.Span).ToList() ?? [];

    /// <summary>
    /// Runs <paramref name="tokens"/> new tokens through every block: <paramref name="hiddenStates"/> is their embeddings
    /// <c>[tokens, hidden]</c>; returns the last block's output, the same shape.
    /// </summary>
    /// <exception cref="DistributedInferenceException">A hop kept failing after every retry, or no route could be found.</exception>
    /// <exception cref="ArgumentException">The shape is wrong, or the session would grow past its maximum length.</exception>
    public async Task<float[]> StepAsync(float[] hiddenStates, int tokens, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hiddenStates);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (hiddenStates.Length == 0 || hiddenStates.Length % tokens != 0)
        {
            throw new ArgumentException(Invariant($"{hiddenStates.Length} values are not {tokens} hidden states of one size"), nameof(hiddenStates));
        }

        if (_position + tokens > _maxLength)
        {
            throw new ArgumentException(Invariant($"{_position} + {tokens} tokens exceed the session's maximum length {_maxLength}"), nameof(tokens));
        }

        var attempt = 0;
        Exception lastError;
        while (_hops is null)
        {
            try
            {
                _hops = [.. (await FindRouteAsync(0, _blockCount, cancellationToken)).Select(static s => new Hop(s))];
                if (_logger.IsEnabled(LogLevel.Information))
                {
                    _logger.RouteChosen(_dhtPrefix, 0, _blockCount, RouteSpan.Describe(_hops.Select(static h => h.Span)));
                }

            }
            catch (RouteNotFoundException ex)
            {
                _logger.RouteFailed(_dhtPrefix, 0, _blockCount, ex.Message);
                await DelayBeforeRetryAsync(attempt++, 0, _blockCount, ex, cancellationToken);
            }
        }

        var input = hiddenStates;
        for (var i = 0; i < _hops.Count;)
        {
            var hop = _hops[i];
            try
            {
                var output = await StepHopAsync(i, hop, input, tokens, cancellationToken);
                hop.Commit(input, tokens);
                _routes.Bans.RegisterSuccess(hop.Span.PeerId);
                input = output;
                attempt = 0;
                i++;
            }
            catch (Exception ex) when (IsHopFailure(ex, cancellationToken))
            {
                lastError = ex;
                await RerouteAsync(i, hop, ex, cancellationToken);
                while (true)
                {
                    await DelayBeforeRetryAsync(attempt++, hop.Span.Start, hop.Span.End, lastError, cancellationToken);
                    try
                    {
                        var replacement = await FindRouteAsync(hop.Span.Start, hop.Span.End, cancellationToken);
                        if (_logger.IsEnabled(LogLevel.Warning))
                        {
                            _logger.Rerouting(hop.Span.Start, hop.Span.End, hop.Span.PeerId, lastError.Message, RouteSpan.Describe(replacement));
                        }

                        Replace(i, hop, replacement);
                        break;
                    }
                    catch (RouteNotFoundException routeError)
                    {
                        lastError = routeError;
                        _logger.RouteFailed(_dhtPrefix, hop.Span.Start, hop.Span.End, routeError.Message);
                    }
                }
            }
        }

        _position += tokens;
        return input;
    }

    /// <summary>Closes every server session.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_hops is not null)
        {
            await Task.WhenAll(_hops.Select(static h => h.CloseAsync().AsTask()));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static bool IsHopFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is RemoteSpanException or IOException or TimeoutException or InvalidOperationException or FormatException
        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>Opens the hop's session when it has none (replaying its history into it), then runs the step.</summary>
    private async Task<float[]> StepHopAsync(int index, Hop hop, float[] input, int tokens, CancellationToken cancellationToken)
    {
        using var activity = Activities.StartActivity("hop step", ActivityKind.Client, _parentActivity);
        activity?.SetTag("kwaainet.peer_id", hop.Span.PeerId);
        activity?.SetTag("kwaainet.blocks", Invariant($"[{hop.Span.Start}, {hop.Span.End})"));
        activity?.SetTag("kwaainet.tokens", tokens);
        if (hop.Session is null)
        {
            hop.Session = await _sessions.OpenAsync(hop.Span, _dhtPrefix, _maxLength, cancellationToken);
            if (hop.HistoryTokens > 0)
            {
                // The replay: every token this hop has taken, from position 0, into the new server's empty cache.
                activity?.SetTag("kwaainet.replayed_tokens", hop.HistoryTokens);
                var replayed = await hop.Session.StepAsync([.. hop.History], hop.HistoryTokens, 0, cancellationToken);
                if (index + 1 < _hops!.Count && _hops[index + 1].AwaitingHistory)
                {
                    _hops[index + 1].SetHistory(replayed, hop.HistoryTokens);
                }
            }
        }

        var output = await hop.Session.StepAsync(input, tokens, hop.HistoryTokens, cancellationToken);
        return output.Length == input.Length
            ? output
            : throw new RemoteSpanException(Invariant($"{hop.Span.PeerId} answered {output.Length} values to {input.Length}"));
    }

    private async Task RerouteAsync(int index, Hop hop, Exception error, CancellationToken cancellationToken)
    {
        _routes.Bans.RegisterFailure(hop.Span.PeerId);
        await hop.CloseAsync();
        Activity.Current?.AddEvent(new ActivityEvent("hop failed", tags: new ActivityTagsCollection
        {
            ["kwaainet.peer_id"] = hop.Span.PeerId,
            ["kwaainet.hop"] = index,
            ["exception.message"] = error.Message,
        }));
    }

    /// <summary>Puts the hops of <paramref name="replacement"/> where <paramref name="failed"/> was; the first takes its history.</summary>
    private void Replace(int index, Hop failed, IReadOnlyList<RouteSpan> replacement)
    {
        var hops = replacement.Select(static s => new Hop(s)).ToList();
        hops[0].SetHistory([.. failed.History], failed.HistoryTokens);
        for (var j = 1; j < hops.Count; j++)
        {
            // Their histories are the outputs of the previous new hop's replay, when there is history at all.
            hops[j].AwaitingHistory = failed.HistoryTokens > 0;
        }

        _hops!.RemoveAt(index);
        _hops.InsertRange(index, hops);
    }

    private async Task<IReadOnlyList<RouteSpan>> FindRouteAsync(int start, int end, CancellationToken cancellationToken)
    {
        try
        {
            return await _routes.FindAsync(_dhtPrefix, _blockCount, start, end, _maxLength, cancellationToken);
        }
        catch (Exception ex) when (ex is not (RouteNotFoundException or OperationCanceledException or ArgumentException))
        {
            // The DHT could not answer now (DhtUnavailableException and transport errors): the same as no route yet.
            throw new RouteNotFoundException("The servers could not be read: " + ex.Message, ex);
        }
    }

    /// <summary>Petals' <c>get_retry_delay</c>: 0 for the first retry, then <c>min(MinBackoff · 2^(k−1), MaxBackoff)</c>.</summary>
    private async Task DelayBeforeRetryAsync(int attempt, int start, int end, Exception error, CancellationToken cancellationToken)
    {
        if (attempt >= _options.MaxRetries)
        {
            throw new DistributedInferenceException(
                Invariant($"Gave up on blocks [{start}, {end}) of {_dhtPrefix} after {attempt + 1} attempts: {error.Message}"), error);
        }

        var delay = attempt == 0
            ? TimeSpan.Zero
            : TimeSpan.FromTicks((long)Math.Min(_options.MinBackoff.Ticks * Math.Pow(2, attempt - 1), _options.MaxBackoff.Ticks));
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, _time, cancellationToken);
        }
    }

    /// <summary>One hop of the chain: its span, its server session, and every input it has taken.</summary>
    private sealed class Hop(RouteSpan span)
    {
        public RouteSpan Span { get; } = span;

        public IRemoteSpanSession? Session { get; set; }

        public List<float> History { get; } = [];

        public int HistoryTokens { get; private set; }

        /// <summary>True for a new hop behind another new one: its history comes from that one's replay.</summary>
        public bool AwaitingHistory { get; set; }

        public void Commit(float[] input, int tokens)
        {
            History.AddRange(input);
            HistoryTokens += tokens;
        }

        public void SetHistory(float[] history, int tokens)
        {
            History.Clear();
            History.AddRange(history);
            HistoryTokens = tokens;
            AwaitingHistory = false;
        }

        public async ValueTask CloseAsync()
        {
            if (Session is { } session)
            {
                Session = null;
                await session.DisposeAsync();
            }
        }
    }
}
