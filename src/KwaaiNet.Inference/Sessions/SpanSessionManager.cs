// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using KwaaiNet.Inference.Onnx;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace KwaaiNet.Inference.Sessions;

/// <summary>
/// The inference sessions running through one <see cref="SpanModel"/>: each keeps its own KV cache, reserves
/// KV-cache memory for its declared maximum length, and is closed by the client, by the idle sweep or on disposal.
/// </summary>
/// <remarks>
/// Thread-safe. Steps of one session run one at a time; steps of different sessions run concurrently on the shared
/// ONNX Runtime session. A session allocates its KV cache for its declared maximum length when it opens, one buffer
/// per layer passed as both <c>past_key_values.*</c> and <c>present.*</c>, so GroupQueryAttention appends each step's
/// keys and values in place: the memory a session holds is what the budget reserved for it, and a decode step copies
/// no past. <see cref="StepBatch"/> copies the sessions' caches into one padded batch and the new positions back.
/// A step that exceeds <see cref="SpanSessionOptions.StepTimeout"/> (or whose token is cancelled) is stopped through
/// <see cref="RunOptions.Terminate"/> and leaves the session as it was.
/// </remarks>
public sealed class SpanSessionManager : IDisposable
{
    private readonly SpanModel _model;
    private readonly TimeProvider _timeProvider;
    private readonly long _budgetBytes;
    private readonly TimeSpan _idleTimeout;
    private readonly TimeSpan _stepTimeout;
    private readonly Lock _gate = new();
    private readonly Dictionary<long, SpanSession> _sessions = [];
    private readonly ITimer? _sweepTimer;
    private long _reservedBytes;
    private long _nextId;
    private bool _disposed;

    /// <summary>Creates the manager; it does not own <paramref name="model"/>.</summary>
    /// <param name="model">The span the sessions run through.</param>
    /// <param name="options">The budget and timeouts.</param>
    /// <param name="timeProvider">The clock for idle and step timeouts.</param>
    /// <exception cref="ArgumentOutOfRangeException">The budget is negative or a timeout is neither positive nor infinite.</exception>
    public SpanSessionManager(SpanModel model, IOptions<SpanSessionOptions> options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var value = options.Value;
        ArgumentOutOfRangeException.ThrowIfNegative(value.KvCacheBudgetBytes, nameof(options));
        _model = model;
        _timeProvider = timeProvider;
        _budgetBytes = value.KvCacheBudgetBytes;
        _idleTimeout = Timeout(value.IdleTimeout, nameof(SpanSessionOptions.IdleTimeout));
        _stepTimeout = Timeout(value.StepTimeout, nameof(SpanSessionOptions.StepTimeout));
        if (_idleTimeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            var period = _idleTimeout / 2;
            _sweepTimer = timeProvider.CreateTimer(
                static state => ((SpanSessionManager)state!).SweepIdle(), this, period, period);
        }
    }

    /// <summary>The span the sessions run through.</summary>
    public SpanModel Model => _model;

    /// <summary>Sessions open now.</summary>
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
    /// Tokens the unreserved budget still holds (budget left ÷ <see cref="SpanModel.BytesPerToken"/>): the
    /// <c>cache_tokens_left</c> a server announces.
    /// </summary>
    public long CacheTokensLeft
    {
        get
        {
            lock (_gate)
            {
                return (_budgetBytes - _reservedBytes) / _model.BytesPerToken;
            }
        }
    }

    /// <summary>Opens a session that may hold up to <paramref name="maxLength"/> tokens, reserving their KV cache.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is below 1 or beyond the span's positions.</exception>
    /// <exception cref="InferenceSessionException">The budget left cannot hold <paramref name="maxLength"/> tokens.</exception>
    public SpanSession Open(int maxLength)
    {
        if (maxLength < 1 || maxLength > _model.MaxSequenceLength)
        {
            throw new ArgumentOutOfRangeException(
                nameof(maxLength), maxLength, $"a session holds 1 to {_model.MaxSequenceLength} tokens (the span's positions)");
        }

        var bytes = maxLength * _model.BytesPerToken;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var left = _budgetBytes - _reservedBytes;
            if (bytes > left)
            {
                throw new InferenceSessionException(
                    InferenceSessionError.CacheBudgetExceeded,
                    Invariant($"the KV cache has room for {left / _model.BytesPerToken} more tokens, not {maxLength} ({_model.BytesPerToken} bytes per token, {left} of {_budgetBytes} bytes left)"));
            }

            var session = new SpanSession(this, ++_nextId, maxLength, _timeProvider.GetUtcNow())
            {
                Cache = SpanKvCache.Allocate(_model, maxLength),
            };
            _sessions.Add(session.Id, session);
            _reservedBytes += bytes;
            return session;
        }
    }

    /// <summary>
    /// Runs <paramref name="tokenCount"/> new tokens of <paramref name="session"/> through the span and appends them
    /// to its KV cache.
    /// </summary>
    /// <param name="session">An open session of this manager.</param>
    /// <param name="hiddenStates">The tokens' hidden states, <c>[tokens, hidden]</c> row-major.</param>
    /// <param name="tokenCount">The number of new tokens.</param>
    /// <param name="cancellationToken">Stops the step; the session is then unchanged.</param>
    /// <returns>The span's output hidden states, <c>[tokens, hidden]</c>.</returns>
    /// <exception cref="ArgumentException">The hidden states do not hold <paramref name="tokenCount"/> × hidden values.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokenCount"/> is below 1.</exception>
    /// <exception cref="InferenceSessionException">
    /// The session is closed or unknown, the step would pass its maximum length, or the step timed out.
    /// </exception>
    public float[] Step(SpanSession session, float[] hiddenStates, int tokenCount, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(hiddenStates);
        if (tokenCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(tokenCount), tokenCount, "a step carries at least one token");
        }

        CheckHiddenLength(hiddenStates, tokenCount, nameof(hiddenStates));
        CheckOwned(session);
        lock (session.Gate)
        {
            CheckRoom(session, tokenCount);
            var cache = session.Cache!;
            var total = session.Length + tokenCount;
            long[] shape = [1, tokenCount, _model.Config.HiddenSize];
            var output = new float[hiddenStates.Length];
            var halves = _model.Precision == LlamaGraphPrecision.Fp16 ? new Float16[output.Length] : null;
            using var hidden = FloatTensor(hiddenStates, shape);
            using var seqlens = OrtValue.CreateTensorValueFromMemory<int>([total - 1], [1]);
            using var totalLength = OrtValue.CreateTensorValueFromMemory<int>([total], []);
            using var hiddenOut = halves is null
                ? OrtValue.CreateTensorValueFromMemory(output, shape)
                : OrtValue.CreateTensorValueFromMemory(halves, shape);
            cache.Inputs[0] = hidden;
            cache.Inputs[1] = seqlens;
            cache.Inputs[2] = totalLength;
            cache.Outputs[0] = hiddenOut;
            try
            {
                // The cache buffers are both inputs and outputs: the new positions land at [Length, total) in place.
                Run(
                    (Model: _model, Cache: cache),
                    static (state, runOptions) =>
                    {
                        state.Model.Session.Run(
                            runOptions, state.Model.InputNames, state.Cache.Inputs, state.Model.OutputNames, state.Cache.Outputs);
                        return true;
                    },
                    [session],
                    cancellationToken);
            }
            finally
            {
                cache.Inputs[0] = cache.Inputs[1] = cache.Inputs[2] = cache.Outputs[0] = null!;
            }

            if (halves is not null)
            {
                Float16Values.ToFloats(halves, output);
            }

            session.Length = total;
            session.LastUsed = _timeProvider.GetUtcNow();
            return output;
        }
    }

    /// <summary>
    /// Runs one new token for each of several sessions in a single ONNX Runtime run (batch = sessions). Each row's
    /// past is zero-padded to the longest session's length and <c>seqlens_k</c> tells GroupQueryAttention each row's
    /// real length, so the padding is neither attended to nor rotated into position.
    /// </summary>
    /// <param name="decodeSteps">Distinct open sessions of this manager, each with one token's hidden states.</param>
    /// <param name="cancellationToken">Stops the run; every session is then unchanged.</param>
    /// <returns>Each session's output hidden states, in the order given.</returns>
    /// <exception cref="ArgumentException">The list is empty, names a session twice, or a hidden-state row has the wrong length.</exception>
    /// <exception cref="InferenceSessionException">A session is closed or unknown, is full, or the run timed out.</exception>
    public IReadOnlyList<float[]> StepBatch(
        IReadOnlyList<(SpanSession Session, float[] HiddenStates)> decodeSteps, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decodeSteps);
        if (decodeSteps.Count == 0)
        {
            throw new ArgumentException("a batch holds at least one session", nameof(decodeSteps));
        }

        HashSet<SpanSession> distinct = [];
        foreach (var (session, hidden) in decodeSteps)
        {
            ArgumentNullException.ThrowIfNull(session, nameof(decodeSteps));
            ArgumentNullException.ThrowIfNull(hidden, nameof(decodeSteps));
            CheckHiddenLength(hidden, 1, nameof(decodeSteps));
            CheckOwned(session);
            if (!distinct.Add(session))
            {
                throw new ArgumentException(Invariant($"session {session.Id} appears twice in the batch"), nameof(decodeSteps));
            }
        }

        // Locks are taken in session-number order so that overlapping batches cannot deadlock.
        var ordered = decodeSteps.Select(static step => step.Session).OrderBy(static s => s.Id).ToArray();
        var taken = 0;
        try
        {
            for (; taken < ordered.Length; taken++)
            {
                ordered[taken].Gate.Enter();
            }

            foreach (var session in ordered)
            {
                CheckRoom(session, 1);
            }

            return RunBatch(decodeSteps, cancellationToken);
        }
        finally
        {
            for (var i = 0; i < taken; i++)
            {
                ordered[i].Gate.Exit();
            }
        }
    }

    /// <summary>
    /// Forgets the session's tokens from position <paramref name="length"/> on, so that the next step writes there
    /// (Petals' <c>start_from_position</c>, a client replaying or retrying a step). The cache entries past it are
    /// overwritten by later steps and never attended to before.
    /// </summary>
    /// <param name="session">An open session of this manager.</param>
    /// <param name="length">The tokens to keep, in <c>[0, Length]</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative or past the session's length.</exception>
    /// <exception cref="InferenceSessionException">The session is closed or unknown.</exception>
    public void Rewind(SpanSession session, int length)
    {
        ArgumentNullException.ThrowIfNull(session);
        CheckOwned(session);
        lock (session.Gate)
        {
            CheckRoom(session, 0);
            if (length < 0 || length > session.Length)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(length), length, Invariant($"session {session.Id} holds {session.Length} tokens; it can be rewound to 0 to {session.Length}"));
            }

            session.Length = length;
            session.LastUsed = _timeProvider.GetUtcNow();
        }
    }

    /// <summary>Closes the session and returns its reservation to the budget.</summary>
    /// <returns>False when it was already closed.</returns>
    public bool Close(SpanSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        lock (_gate)
        {
            if (!ReferenceEquals(session.Owner, this) || !Release(session))
            {
                return false;
            }
        }

        // Waits for a step in flight, which then finished before the close.
        lock (session.Gate)
        {
            session.Cache?.Dispose();
            session.Cache = null;
        }

        return true;
    }

    /// <summary>Closes every session unused for <see cref="SpanSessionOptions.IdleTimeout"/> whose step is not running.</summary>
    /// <returns>The number of sessions closed.</returns>
    public int SweepIdle()
    {
        if (_idleTimeout == System.Threading.Timeout.InfiniteTimeSpan)
        {
            return 0;
        }

        var now = _timeProvider.GetUtcNow();
        var closed = 0;
        lock (_gate)
        {
            foreach (var session in _sessions.Values.ToArray())
            {
                if (now - session.LastUsed < _idleTimeout || !session.Gate.TryEnter())
                {
                    continue;
                }

                try
                {
                    Release(session);
                    session.Cache?.Dispose();
                    session.Cache = null;
                    closed++;
                }
                finally
                {
                    session.Gate.Exit();
                }
            }
        }

        return closed;
    }

    /// <summary>Closes every session and stops the idle sweep.</summary>
    public void Dispose()
    {
        SpanSession[] open;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            open = [.. _sessions.Values];
        }

        _sweepTimer?.Dispose();
        foreach (var session in open)
        {
            Close(session);
        }
    }

    private static TimeSpan Timeout(TimeSpan value, string name) =>
        value == System.Threading.Timeout.InfiniteTimeSpan || value > TimeSpan.Zero
            ? value
            : throw new ArgumentOutOfRangeException(name, value, "a timeout is positive or infinite");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static OrtValue Own(List<OrtValue> owned, OrtValue value)
    {
        owned.Add(value);
        return value;
    }

    /// <summary>Removes the session from the open set and frees its reservation; caller holds <see cref="_gate"/>.</summary>
    private bool Release(SpanSession session)
    {
        if (!_sessions.Remove(session.Id))
        {
            return false;
        }

        session.IsClosed = true;
        _reservedBytes -= session.MaxLength * _model.BytesPerToken;
        return true;
    }

    private void CheckHiddenLength(float[] hidden, int tokens, string parameter)
    {
        var expected = (long)tokens * _model.Config.HiddenSize;
        if (hidden.Length != expected)
        {
            throw new ArgumentException(
                Invariant($"hidden states hold {hidden.Length} values; {tokens} token(s) of hidden size {_model.Config.HiddenSize} need {expected}"),
                parameter);
        }
    }

    private void CheckOwned(SpanSession session)
    {
        if (!ReferenceEquals(session.Owner, this))
        {
            throw new InferenceSessionException(
                InferenceSessionError.SessionClosed, Invariant($"session {session.Id} does not belong to this span"));
        }
    }

    /// <summary>Refuses a closed or full session; caller holds the session's gate.</summary>
    private static void CheckRoom(SpanSession session, int tokens)
    {
        if (session.IsClosed)
        {
            throw new InferenceSessionException(
                InferenceSessionError.SessionClosed, Invariant($"session {session.Id} is closed"));
        }

        if ((long)session.Length + tokens > session.MaxLength)
        {
            throw new InferenceSessionException(
                InferenceSessionError.MaxLengthExceeded,
                Invariant($"session {session.Id} holds {session.Length} of its {session.MaxLength} tokens; {tokens} more do not fit"));
        }
    }

    private float[][] RunBatch(
        IReadOnlyList<(SpanSession Session, float[] HiddenStates)> steps, CancellationToken cancellationToken)
    {
        var config = _model.Config;
        int batch = steps.Count, d = config.HiddenSize;
        var past = 0;
        var sessions = new SpanSession[batch];
        for (var b = 0; b < batch; b++)
        {
            sessions[b] = steps[b].Session;
            past = Math.Max(past, sessions[b].Length);
        }

        var rowBytes = config.HeadSize * _model.ElementSize;
        var hidden = new float[batch * d];
        var seqlens = new int[batch];
        for (var b = 0; b < batch; b++)
        {
            steps[b].HiddenStates.CopyTo(hidden, b * d);
            seqlens[b] = sessions[b].Length;
        }

        List<OrtValue> owned = [];
        try
        {
            List<OrtValue> values =
            [
                Own(owned, FloatTensor(hidden, [batch, 1, d])),
                Own(owned, OrtValue.CreateTensorValueFromMemory(seqlens, [batch])),
                Own(owned, OrtValue.CreateTensorValueFromMemory<int>([past + 1], [])),
            ];
            for (var i = 0; i < _model.LayerCount; i++)
            {
                values.Add(Own(owned, Padded(sessions, past, rowBytes, i, keys: true)));
                values.Add(Own(owned, Padded(sessions, past, rowBytes, i, keys: false)));
            }

            using var results = Run(
                (Model: _model, Values: values),
                static (state, runOptions) =>
                    state.Model.Session.Run(runOptions, state.Model.InputNames, state.Values, state.Model.OutputNames),
                sessions,
                cancellationToken);
            var output = ReadFloats(results[0]);
            var outputs = new float[batch][];
            for (var b = 0; b < batch; b++)
            {
                outputs[b] = output[(b * d)..((b + 1) * d)];
            }

            // Each session's new position goes back into its own buffers; its past there is unchanged.
            for (var b = 0; b < batch; b++)
            {
                var cache = sessions[b].Cache!;
                for (var i = 0; i < _model.LayerCount; i++)
                {
                    CopyPosition(results[1 + (2 * i)], b, sessions[b].Length, cache.Keys[i], cache.Capacity, rowBytes);
                    CopyPosition(results[2 + (2 * i)], b, sessions[b].Length, cache.Values[i], cache.Capacity, rowBytes);
                }
            }

            var now = _timeProvider.GetUtcNow();
            foreach (var session in sessions)
            {
                session.Length++;
                session.LastUsed = now;
            }

            return outputs;
        }
        finally
        {
            foreach (var value in owned)
            {
                value.Dispose();
            }
        }
    }

    /// <summary><c>[batch, kv_heads, past, head_size]</c>, each session's cache at the start of its row, zeros after.</summary>
    private OrtValue Padded(SpanSession[] sessions, int past, int rowBytes, int layer, bool keys)
    {
        var heads = _model.Config.KvHeadCount;
        var tensor = KvTensor(sessions.Length, past);
        var target = tensor.GetTensorMutableRawData();
        target.Clear();
        for (var b = 0; b < sessions.Length; b++)
        {
            var cache = sessions[b].Cache!;
            var source = (keys ? cache.Keys[layer] : cache.Values[layer]).GetTensorMutableRawData();
            var length = sessions[b].Length * rowBytes;
            var stride = cache.Capacity * rowBytes;
            for (var head = 0; head < heads; head++)
            {
                source.Slice(head * stride, length).CopyTo(target[checked(((b * heads) + head) * past * rowBytes)..]);
            }
        }

        return tensor;
    }

    /// <summary>Copies position <paramref name="position"/> of batch row <paramref name="row"/> of a present output into a session's buffer.</summary>
    private void CopyPosition(OrtValue present, int row, int position, OrtValue buffer, int capacity, int rowBytes)
    {
        var heads = _model.Config.KvHeadCount;
        var presentLength = (int)present.GetTensorTypeAndShape().Shape[2];
        var source = present.GetTensorMutableRawData();
        var target = buffer.GetTensorMutableRawData();
        for (var head = 0; head < heads; head++)
        {
            source.Slice(((((row * heads) + head) * presentLength) + position) * rowBytes, rowBytes)
                .CopyTo(target[(((head * capacity) + position) * rowBytes)..]);
        }
    }

    private TResult Run<TState, TResult>(
        TState state,
        Func<TState, RunOptions, TResult> run,
        IEnumerable<SpanSession> sessions,
        CancellationToken cancellationToken)
    {
        using var runOptions = new RunOptions();
        using var timeout = _stepTimeout == System.Threading.Timeout.InfiniteTimeSpan
            ? null
            : new CancellationTokenSource(_stepTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(
            cancellationToken, timeout?.Token ?? CancellationToken.None);
        using var registration = linked.Token.Register(static state => ((RunOptions)state!).Terminate = true, runOptions);

        // A session counts as used from the start of its step, so the idle sweep leaves a long step alone.
        var now = _timeProvider.GetUtcNow();
        foreach (var session in sessions)
        {
            session.LastUsed = now;
        }

        try
        {
            return run(state, runOptions);
        }
        catch (OnnxRuntimeException e) when (linked.IsCancellationRequested)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new InferenceSessionException(
                InferenceSessionError.StepTimedOut,
                Invariant($"the step ran past the step timeout of {_stepTimeout} and was stopped; the session is unchanged"),
                e);
        }
    }

    private OrtValue KvTensor(int batch, int length)
    {
        var config = _model.Config;
        var type = _model.Precision == LlamaGraphPrecision.Fp16 ? TensorElementType.Float16 : TensorElementType.Float;
        return OrtValue.CreateAllocatedTensorValue(
            OrtAllocator.DefaultInstance, type, [batch, config.KvHeadCount, length, config.HeadSize]);
    }

    private OrtValue FloatTensor(float[] data, long[] shape)
    {
        if (_model.Precision != LlamaGraphPrecision.Fp16)
        {
            return OrtValue.CreateTensorValueFromMemory(data, shape);
        }

        return OrtValue.CreateTensorValueFromMemory(Float16Values.FromFloats(data), shape);
    }

    private float[] ReadFloats(OrtValue value)
    {
        if (_model.Precision != LlamaGraphPrecision.Fp16)
        {
            return value.GetTensorDataAsSpan<float>().ToArray();
        }

        return Float16Values.ToFloats(value.GetTensorDataAsSpan<Float16>());
    }
}
