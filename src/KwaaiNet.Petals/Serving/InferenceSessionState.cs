// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Threading.Channels;
using KwaaiNet.Inference.Sessions;
using ServedSpan = KwaaiNet.Inference.Serving.ServedSpan;

namespace KwaaiNet.Petals.Serving;

/// <summary>One <c>rpc_inference</c> stream's session: its span session, declared length, step ids and inbox.</summary>
internal sealed class InferenceSessionState(
    string name, ServedSpan span, SpanSession session, int maxLength, IReadOnlyList<int>? argsStructure, Channel<InboundItem> inbox)
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    /// <summary>The client's session id, or a local name when it sent none (for logs and traces).</summary>
    public string Name { get; } = name;

    public ServedSpan Span { get; } = span;

    public SpanSession Session { get; } = session;

    /// <summary>The client's <c>max_length</c> (the span session holds at least one token).</summary>
    public int MaxLength { get; } = maxLength;

    /// <summary>The first request's <c>args_structure</c>, used for the whole session as Petals does.</summary>
    public IReadOnlyList<int>? ArgsStructure { get; } = argsStructure;

    /// <summary>Requests from the client's stream and from <c>rpc_push</c>, in arrival order.</summary>
    public Channel<InboundItem> Inbox { get; } = inbox;

    /// <summary>Steps processed.</summary>
    public long Steps { get; set; }

    /// <summary>
    /// Records <paramref name="stepId"/>; false when it was processed already (a push and the client's copy of one
    /// step: the later one is skipped). The most recent <paramref name="capacity"/> ids are remembered.
    /// </summary>
    public bool FirstTime(string stepId, int capacity)
    {
        if (!_seen.Add(stepId))
        {
            return false;
        }

        _order.Enqueue(stepId);
        if (_order.Count > capacity)
        {
            _seen.Remove(_order.Dequeue());
        }

        return true;
    }
}
