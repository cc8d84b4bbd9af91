// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Sessions;

/// <summary>
/// One client's sequence through a span: its KV cache and how far it has got. A handle only; every operation goes
/// through the <see cref="SpanSessionManager"/> that opened it.
/// </summary>
public sealed class SpanSession
{
    private volatile int _length;
    private volatile bool _closed;
    private long _lastUsedTicks;

    internal SpanSession(SpanSessionManager owner, long id, int maxLength, DateTimeOffset now)
    {
        Owner = owner;
        Id = id;
        MaxLength = maxLength;
        _lastUsedTicks = now.UtcTicks;
    }

    /// <summary>The session's number, unique within its manager.</summary>
    public long Id { get; }

    /// <summary>The most tokens the session may hold, declared when it opened (its share of the cache budget).</summary>
    public int MaxLength { get; }

    /// <summary>Tokens processed so far (the KV cache's length).</summary>
    public int Length
    {
        get => _length;
        internal set => _length = value;
    }

    /// <summary>True once the session is closed; its steps are then refused.</summary>
    public bool IsClosed
    {
        get => _closed;
        internal set => _closed = value;
    }

    internal SpanSessionManager Owner { get; }

    /// <summary>Serializes the session's steps, and its cache's disposal against them.</summary>
    internal Lock Gate { get; } = new();

    /// <summary>
    /// The KV-cache buffers, allocated for <see cref="MaxLength"/> tokens when the session opens; null once closed.
    /// Guarded by <see cref="Gate"/>.
    /// </summary>
    internal SpanKvCache? Cache { get; set; }

    internal DateTimeOffset LastUsed
    {
        get => new(Interlocked.Read(ref _lastUsedTicks), TimeSpan.Zero);
        set => Interlocked.Exchange(ref _lastUsedTicks, value.UtcTicks);
    }
}
