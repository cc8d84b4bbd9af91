// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using KwaaiNet.Inference.Serving;
using KwaaiNet.Inference.Sessions;
using KwaaiNet.Libp2p.Protocols;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Kwaai;

/// <summary>
/// Serves upstream KwaaiNet's <c>/kwaai/inference/1.0.0</c> unary calls over the worker's session core
/// (<see cref="IServedSpanProvider"/>), as upstream's <c>shard serve</c> does (<c>core/crates/kwaai-cli/src/block_rpc.rs</c>,
/// <c>make_block_rpc_handler</c> and <c>handle_inference_request</c>): hidden states <c>[1, seq, hidden]</c> in f16 run
/// through the span and come back as f16 hidden states of the same shape.
/// </summary>
/// <remarks>
/// <para>
/// Sessions are keyed by the caller's authenticated peer id and its <c>session_id</c> (upstream keys by
/// <c>session_id</c> alone, so one peer cannot reach another's cache here). A session opens on its first request, which
/// must start at <c>seq_pos</c> 0, and reserves <see cref="KwaaiInferenceOptions.SessionMaxLength"/> tokens of the KV-cache
/// budget. <c>seq_pos</c> is the global position of the request's first token (<c>InferenceRequest.seq_pos</c> in
/// upstream): equal to the tokens held, the step appends; lower, the session is rewound there first (a coordinator
/// replaying after a failover); higher, the request is refused, since positions in between were never sent here. A
/// session ends after <see cref="KwaaiInferenceOptions.IdleTimeout"/> unused (upstream's 600 s collection) or when the
/// worker swaps its span; upstream has no close message.
/// </para>
/// <para>
/// Every failure is answered in-band, as upstream does: an <c>InferenceResponse</c> with <c>error</c> set, an empty
/// shape and data, never p2pd's error arm. Token ids are refused (the worker holds no embeddings; upstream's first
/// shard embeds them), and logits are never produced (no LM head either).
/// </para>
/// </remarks>
public sealed class KwaaiInferenceHandler : IDisposable
{
    /// <summary>The longest wait between sweeps, so that a swapped span's sessions are released promptly.</summary>
    private static readonly TimeSpan MaxSweepPeriod = TimeSpan.FromSeconds(10);

    private readonly IServedSpanProvider _spans;
    private readonly KwaaiInferenceOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Peer, ulong SessionId), KwaaiServedSession> _sessions = [];
    private readonly ITimer _sweepTimer;
    private bool _disposed;

    /// <summary>Creates the handler and starts its idle sweep.</summary>
    public KwaaiInferenceHandler(
        IServedSpanProvider spans, IOptions<KwaaiInferenceOptions> options, TimeProvider timeProvider, ILogger<KwaaiInferenceHandler> logger)
    {
        ArgumentNullException.ThrowIfNull(spans);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _spans = spans;
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
        var period = _options.IdleTimeout / 2 < MaxSweepPeriod ? _options.IdleTimeout / 2 : MaxSweepPeriod;
        _sweepTimer = timeProvider.CreateTimer(static state => ((KwaaiInferenceHandler)state!).SweepIdle(), this, period, period);
    }

    /// <summary>Sessions open now, all peers together.</summary>
    public int OpenSessionCount
    {
        get
        {
            lock (_gate)
            {
                return _sessions.Count;
            }
        }
    }

    /// <summary>
    /// Serves one call: decodes the <c>InferenceRequest</c>, runs its step and answers with an <c>InferenceResponse</c>
    /// (an error response when the request is refused). Fits <see cref="UnaryHandler"/>, and a gateway's inbound
    /// <c>HandleUnary</c> can call it with the caller's authenticated peer id.
    /// </summary>
    public Task<UnaryResult> HandleAsync(UnaryRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            var response = Handle(request, cancellationToken);
            return Task.FromResult(UnaryResult.Ok(KwaaiInferenceCodec.EncodeResponse(response)));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<UnaryResult>(cancellationToken);
        }
    }

    /// <summary>Closes every session unused for the idle timeout, or opened on a span the worker no longer serves.</summary>
    /// <returns>The number of sessions closed.</returns>
    public int SweepIdle()
    {
        var now = _timeProvider.GetUtcNow();
        var current = _spans.Current;
        List<KwaaiServedSession> closed = [];
        lock (_gate)
        {
            foreach (var (key, session) in _sessions.ToArray())
            {
                var stale = !ReferenceEquals(session.Span, current);
                if ((!stale && now - session.LastUsed < _options.IdleTimeout) || !session.Gate.TryEnter())
                {
                    continue;
                }

                try
                {
                    _sessions.Remove(key);
                    session.Close();
                    closed.Add(session);
                }
                finally
                {
                    session.Gate.Exit();
                }
            }
        }

        if (closed.Count > 0)
        {
            _logger.KwaaiSessionsClosed(closed.Count, _options.IdleTimeout);
        }

        return closed.Count;
    }

    /// <summary>Stops the sweep and closes every session.</summary>
    public void Dispose()
    {
        KwaaiServedSession[] open;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            open = [.. _sessions.Values];
            _sessions.Clear();
        }

        _sweepTimer.Dispose();
        foreach (var session in open)
        {
            lock (session.Gate)
            {
                session.Close();
            }
        }
    }

    private KwaaiInferenceResponse Handle(UnaryRequest request, CancellationToken cancellationToken)
    {
        var peer = request.Caller.ToBase58();
        KwaaiInferenceRequest decoded;
        try
        {
            decoded = KwaaiInferenceCodec.DecodeRequest(request.Data.Span);
        }
        catch (FormatException e)
        {
            return Refuse(peer, 0, "invalid InferenceRequest: " + e.Message);
        }

        var id = decoded.SessionId;
        var span = _spans.Current;
        if (span is null)
        {
            // Upstream's wording, which its coordinators recognise; the worker's state follows.
            return Refuse(peer, id, $"node warming up — model loading in background ({_spans.StateDetail})");
        }

        var hidden = span.Config.HiddenSize;
        if (decoded.PayloadType == KwaaiPayloadType.TokenIds)
        {
            return Refuse(peer, id, Invariant(
                $"token_ids need the model's embeddings, which this node does not run: it serves blocks [{span.Start}, {span.End}) of {span.Model} and takes hidden_states [1, seq, {hidden}]"));
        }

        var shape = decoded.Shape;
        if (shape.Count != 3 || shape[0] != 1 || shape[1] == 0 || shape[2] != hidden)
        {
            return Refuse(peer, id, Invariant($"hidden_states of shape [{string.Join(", ", shape)}]; this span takes [1, seq, {hidden}] with seq ≥ 1"));
        }

        if (shape[1] > _options.MaxTokensPerRequest)
        {
            return Refuse(peer, id, Invariant($"{shape[1]} tokens in one request, more than {_options.MaxTokensPerRequest}"));
        }

        var tokens = (int)shape[1];
        var values = KwaaiInferenceCodec.DecodeFloat16(decoded.Data.Span);
        if (Find(peer, decoded, span, out var refusal) is not { } session)
        {
            return Refuse(peer, id, refusal!);
        }

        float[] output;
        lock (session.Gate)
        {
            if (session.Closed)
            {
                return Refuse(peer, id, Invariant($"session {id} expired; start it over at seq_pos 0"));
            }

            var length = session.Session.Length;
            if (decoded.SeqPos > length)
            {
                return Refuse(peer, id, Invariant(
                    $"seq_pos {decoded.SeqPos} is past the {length} tokens session {id} holds here: positions {length}..{decoded.SeqPos - 1} were never sent"));
            }

            try
            {
                if (decoded.SeqPos < length)
                {
                    span.Sessions.Rewind(session.Session, (int)decoded.SeqPos);
                }

                output = span.Sessions.Step(session.Session, values, tokens, cancellationToken);
            }
            catch (InferenceSessionException e)
            {
                if (e.Error == InferenceSessionError.SessionClosed)
                {
                    Forget(peer, id, session);
                }

                return Refuse(peer, id, e.Message);
            }
            catch (ArgumentException e)
            {
                return Refuse(peer, id, e.Message);
            }

            session.LastUsed = _timeProvider.GetUtcNow();
        }

        return new KwaaiInferenceResponse(id, KwaaiResponseType.HiddenStates, [1, (uint)tokens, (uint)hidden], KwaaiInferenceCodec.EncodeFloat16(output), null);
    }

    /// <summary>The peer's session on the current span, opened when the request starts one; null with the reason otherwise.</summary>
    private KwaaiServedSession? Find(string peer, KwaaiInferenceRequest request, ServedSpan span, out string? refusal)
    {
        refusal = null;
        var key = (peer, request.SessionId);
        KwaaiServedSession? stale = null;
        try
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    refusal = "the node is shutting down";
                    return null;
                }

                if (_sessions.TryGetValue(key, out var held))
                {
                    if (ReferenceEquals(held.Span, span))
                    {
                        return held;
                    }

                    // Opened on a span the worker has since replaced: its KV cache belongs to other blocks.
                    _sessions.Remove(key);
                    stale = held;
                }

                if (request.SeqPos != 0)
                {
                    refusal = Invariant(
                        $"unknown session {request.SessionId} (never opened here, expired after {_options.IdleTimeout} idle, or opened before the node changed its span); start it at seq_pos 0");
                    return null;
                }

                var open = 0;
                foreach (var (owner, _) in _sessions.Keys)
                {
                    open += owner == peer ? 1 : 0;
                }

                if (open >= _options.MaxSessionsPerPeer)
                {
                    refusal = Invariant($"this peer holds {open} sessions here, the most allowed ({_options.MaxSessionsPerPeer}); reuse one or let one expire");
                    return null;
                }

                var maxLength = Math.Min(_options.SessionMaxLength, span.Sessions.Model.MaxSequenceLength);
                SpanSession opened;
                try
                {
                    opened = span.Sessions.Open(maxLength);
                }
                catch (Exception e) when (e is InferenceSessionException or ObjectDisposedException)
                {
                    refusal = e.Message;
                    return null;
                }

                var session = new KwaaiServedSession(span, opened, _timeProvider.GetUtcNow());
                _sessions.Add(key, session);
                _logger.KwaaiSessionOpened(request.SessionId, peer, maxLength);
                return session;
            }
        }
        finally
        {
            if (stale is not null)
            {
                lock (stale.Gate)
                {
                    stale.Close();
                }
            }
        }
    }

    private void Forget(string peer, ulong id, KwaaiServedSession session)
    {
        lock (_gate)
        {
            if (_sessions.TryGetValue((peer, id), out var held) && ReferenceEquals(held, session))
            {
                _sessions.Remove((peer, id));
            }
        }

        session.Closed = true;
    }

    private KwaaiInferenceResponse Refuse(string peer, ulong sessionId, string reason)
    {
        _logger.KwaaiRequestRefused(KwaaiInferenceCodec.Protocol, peer, sessionId, reason);
        return KwaaiInferenceResponse.Failure(sessionId, reason);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
