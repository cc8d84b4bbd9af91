// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using System.Net.Sockets;
using Grpc.Core;
using KwaaiNet.Petals.Gateway;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Petals.Kwaai;

/// <summary>
/// Calls a peer's <c>/kwaai/inference/1.0.0</c> through a unary call the caller supplies (the in-process libp2p node,
/// or the p2p-gateway's <c>CallUnary</c>), with upstream's retry rule (<c>call_block_forward</c>,
/// <c>core/crates/kwaai-cli/src/block_rpc.rs</c>): a transient transport failure is retried twice, after 200 ms and
/// 400 ms; an error the server answered with is not retried.
/// </summary>
public sealed class KwaaiInferenceClient
{
    /// <summary>Upstream's back-off before the first and the second retry.</summary>
    public static readonly IReadOnlyList<TimeSpan> UpstreamRetryDelays = [TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400)];

    /// <summary>The error texts upstream treats as transient (its <c>is_transient</c> test in <c>call_block_forward</c>).</summary>
    private static readonly string[] TransientTexts = ["stream reset", "early eof", "connection closed", "Response channel closed"];

    private readonly Func<string, string, ReadOnlyMemory<byte>, CancellationToken, Task<ReadOnlyMemory<byte>>> _call;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly IReadOnlyList<TimeSpan> _retryDelays;
    private readonly KwaaiDataForm _dataForm;

    /// <summary>Creates the client with upstream's retry delays and data form.</summary>
    /// <param name="call">Calls (peer id, protocol, request) and returns the response bytes.</param>
    /// <param name="timeProvider">The clock the retry delays run on.</param>
    /// <param name="logger">Logs each retry.</param>
    public KwaaiInferenceClient(
        Func<string, string, ReadOnlyMemory<byte>, CancellationToken, Task<ReadOnlyMemory<byte>>> call,
        TimeProvider timeProvider,
        ILogger<KwaaiInferenceClient> logger)
        : this(call, timeProvider, logger, UpstreamRetryDelays, KwaaiDataForm.IntegerArray)
    {
    }

    /// <summary>Creates the client.</summary>
    /// <param name="call">Calls (peer id, protocol, request) and returns the response bytes.</param>
    /// <param name="timeProvider">The clock the retry delays run on.</param>
    /// <param name="logger">Logs each retry.</param>
    /// <param name="retryDelays">The wait before each retry; its count is the number of retries.</param>
    /// <param name="dataForm">How requests carry their data (upstream's int array by default; bin is half the size).</param>
    public KwaaiInferenceClient(
        Func<string, string, ReadOnlyMemory<byte>, CancellationToken, Task<ReadOnlyMemory<byte>>> call,
        TimeProvider timeProvider,
        ILogger<KwaaiInferenceClient> logger,
        IReadOnlyList<TimeSpan> retryDelays,
        KwaaiDataForm dataForm)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(retryDelays);
        _call = call;
        _timeProvider = timeProvider;
        _logger = logger;
        _retryDelays = [.. retryDelays];
        _dataForm = dataForm;
    }

    /// <summary>Sends <paramref name="request"/> to <paramref name="peerId"/> and returns its successful response.</summary>
    /// <exception cref="KwaaiInferenceException">The server answered with an error, or with bytes that are not a response.</exception>
    public async Task<KwaaiInferenceResponse> CallAsync(string peerId, KwaaiInferenceRequest request, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(peerId);
        ArgumentNullException.ThrowIfNull(request);
        var bytes = KwaaiInferenceCodec.EncodeRequest(request, _dataForm);
        for (var attempt = 0; ; attempt++)
        {
            ReadOnlyMemory<byte> reply;
            try
            {
                reply = await _call(peerId, KwaaiInferenceCodec.Protocol, bytes, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (attempt < _retryDelays.Count && IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                _logger.KwaaiCallRetried(KwaaiInferenceCodec.Protocol, peerId, attempt + 1, _retryDelays[attempt].TotalMilliseconds, e);
                await Task.Delay(_retryDelays[attempt], _timeProvider, cancellationToken).ConfigureAwait(false);
                continue;
            }

            KwaaiInferenceResponse response;
            try
            {
                response = KwaaiInferenceCodec.DecodeResponse(reply.Span);
            }
            catch (FormatException e)
            {
                throw new KwaaiInferenceException($"{peerId} answered {KwaaiInferenceCodec.Protocol} with an unreadable response: {e.Message}", e);
            }

            return response.Error is { } error
                ? throw new KwaaiInferenceException($"Remote inference error from {peerId}: {error}") { RemoteError = error }
                : response;
        }
    }

    /// <summary>
    /// Runs <paramref name="tokens"/> tokens' hidden states through the peer's span in session <paramref name="sessionId"/>
    /// from position <paramref name="seqPos"/>, as f16 on the wire, and returns the span's output hidden states.
    /// </summary>
    /// <param name="peerId">The serving peer.</param>
    /// <param name="sessionId">The session (the same on every server of the chain, as upstream's coordinator does).</param>
    /// <param name="seqPos">The global position of the first token: 0 for the prefill.</param>
    /// <param name="hiddenStates">The hidden states, <c>[tokens, hidden]</c> row-major.</param>
    /// <param name="tokens">The number of tokens.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    /// <exception cref="KwaaiInferenceException">The call failed, or the response is not hidden states of the request's shape.</exception>
    public async Task<float[]> ForwardAsync(
        string peerId, ulong sessionId, uint seqPos, ReadOnlyMemory<float> hiddenStates, int tokens, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        if (hiddenStates.Length % tokens != 0)
        {
            throw new ArgumentException($"{hiddenStates.Length} values are not {tokens} rows of equal width", nameof(hiddenStates));
        }

        var hidden = (uint)(hiddenStates.Length / tokens);
        var request = new KwaaiInferenceRequest(
            sessionId, seqPos, KwaaiPayloadType.HiddenStates, [1, (uint)tokens, hidden], KwaaiInferenceCodec.EncodeFloat16(hiddenStates.Span));
        var response = await CallAsync(peerId, request, cancellationToken).ConfigureAwait(false);
        if (response.ResponseType != KwaaiResponseType.HiddenStates || response.Shape is not [1, var seq, var width] || seq != tokens || width != hidden)
        {
            throw new KwaaiInferenceException(string.Create(
                CultureInfo.InvariantCulture,
                $"{peerId} answered {response.ResponseType} of shape [{string.Join(", ", response.Shape)}], not hidden states [1, {tokens}, {hidden}]"));
        }

        return KwaaiInferenceCodec.DecodeFloat16(response.Data.Span);
    }

    /// <summary>
    /// Whether a failed call may succeed if repeated: the connection or stream broke (upstream's texts, I/O and socket
    /// errors), or the gateway was unavailable. An error the remote handler answered with is not transient.
    /// </summary>
    public static bool IsTransient(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is IOException or SocketException or GatewayUnavailableException
                || (e is RpcException rpc && rpc.StatusCode == StatusCode.Unavailable))
            {
                return true;
            }

            foreach (var text in TransientTexts)
            {
                if (e.Message.Contains(text, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
