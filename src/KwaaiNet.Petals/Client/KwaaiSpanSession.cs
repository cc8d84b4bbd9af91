// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using KwaaiNet.Petals.Gateway;
using KwaaiNet.Petals.Kwaai;

namespace KwaaiNet.Petals.Client;

/// <summary>
/// A session over KwaaiNet's <c>/kwaai/inference/1.0.0</c> (docs/inference-protocols.md §2): each step is one unary
/// <c>InferenceRequest</c> with the session's u64 <c>session_id</c>, <c>seq_pos</c> = the step's position and the
/// hidden states as f16 (upstream's only form), answered by f16 hidden states of the same shape. The server opens the
/// session on its first request at <c>seq_pos</c> 0 and rewinds when a request starts below the tokens it holds, so a
/// replay from position 0 rebuilds the cache. Upstream has no close message: disposing hands the id back to the
/// factory for a later session with the same server (whose first request, at <c>seq_pos</c> 0, starts over), and the
/// server frees an unused cache after its idle timeout.
/// </summary>
/// <remarks>
/// f16 on the wire rounds the hidden states at every hop, so the output can differ slightly from a single fp32 process
/// running every block.
/// </remarks>
internal sealed class KwaaiSpanSession : IRemoteSpanSession
{
    private readonly KwaaiInferenceClient _client;
    private readonly TimeSpan _requestTimeout;
    private readonly Action<string, ulong>? _release;
    private bool _broken;
    private int _disposed;

    /// <summary>Creates the session; nothing is sent before the first step.</summary>
    /// <param name="client">Makes the calls (upstream's retries of transient failures included).</param>
    /// <param name="span">The server and its blocks.</param>
    /// <param name="sessionId">The session's id on the server.</param>
    /// <param name="requestTimeout">How long one step may take, retries included.</param>
    /// <param name="release">Takes the id back when the session ends healthy; null to drop it.</param>
    public KwaaiSpanSession(KwaaiInferenceClient client, RouteSpan span, ulong sessionId, TimeSpan requestTimeout, Action<string, ulong>? release)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(span);
        _client = client;
        Span = span;
        SessionId = sessionId;
        _requestTimeout = requestTimeout;
        _release = release;
    }

    public RouteSpan Span { get; }

    /// <summary>The <c>session_id</c> the requests carry.</summary>
    public ulong SessionId { get; }

    public async Task<float[]> StepAsync(float[] hiddenStates, int tokens, int position, CancellationToken cancellationToken)
    {
        SpanStepPreconditions.Check(this, hiddenStates, tokens, position, Volatile.Read(ref _disposed) != 0, _broken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_requestTimeout);
        try
        {
            return await _client.ForwardAsync(Span.PeerId, SessionId, (uint)position, hiddenStates, tokens, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _broken = true;
            throw new RemoteSpanException(Invariant(
                $"{Span.PeerId} (blocks [{Span.Start}, {Span.End})) did not answer {KwaaiInferenceCodec.Protocol} within {_requestTimeout.TotalSeconds} s"));
        }
        catch (Exception ex) when (ex is KwaaiInferenceException or PeerCallException or GatewayUnavailableException or IOException or ArgumentException)
        {
            _broken = true;
            throw new RemoteSpanException(Invariant($"The session on {Span.PeerId} for blocks [{Span.Start}, {Span.End}) failed: {ex.Message}"), ex);
        }
        catch (OperationCanceledException)
        {
            _broken = true;
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && !_broken)
        {
            _release?.Invoke(Span.PeerId, SessionId);
        }

        return ValueTask.CompletedTask;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
