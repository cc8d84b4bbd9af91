// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Serving;
using KwaaiNet.Inference.Sessions;

namespace KwaaiNet.Petals.Kwaai;

/// <summary>One peer's <c>session_id</c> on this node: the span session holding its KV cache, on the span it was opened on.</summary>
internal sealed class KwaaiServedSession(ServedSpan span, SpanSession session, DateTimeOffset now)
{
    private long _lastUsedTicks = now.UtcTicks;

    /// <summary>The span the session was opened on; a worker that swaps its span makes the session stale.</summary>
    public ServedSpan Span { get; } = span;

    public SpanSession Session { get; } = session;

    /// <summary>Serializes the session's requests (the check of <c>seq_pos</c>, the rewind and the step are one unit).</summary>
    public Lock Gate { get; } = new();

    /// <summary>Set under <see cref="Gate"/> when the session is forgotten; a request that finds it set starts over.</summary>
    public bool Closed { get; set; }

    public DateTimeOffset LastUsed
    {
        get => new(Interlocked.Read(ref _lastUsedTicks), TimeSpan.Zero);
        set => Interlocked.Exchange(ref _lastUsedTicks, value.UtcTicks);
    }

    /// <summary>Marks the session closed and returns its KV cache to the worker's budget; caller holds <see cref="Gate"/>.</summary>
    public void Close()
    {
        Closed = true;
        Span.Sessions.Close(Session);
    }
}
