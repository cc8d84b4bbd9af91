// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using KwaaiNet.Hivemind.Compression;
using KwaaiNet.Hivemind.Protos;
using KwaaiNet.Hivemind.Streams;
using KwaaiNet.Inference.Serving;
using KwaaiNet.Inference.Sessions;
using KwaaiNet.Libp2p.Protocols;
using KwaaiNet.Petals.Protocol;
using KwaaiNet.Petals.Records;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServedSpan = KwaaiNet.Inference.Serving.ServedSpan;

namespace KwaaiNet.Petals.Serving;

/// <summary>
/// Petals' server protocol (<c>TransformerConnectionHandler</c>, <c>petals/server/handler.py</c>; research
/// petals-protocol.md §1–§9) over the worker's session core: <c>rpc_info</c>, <c>rpc_forward</c>,
/// <c>rpc_forward_stream</c>, <c>rpc_inference</c> and <c>rpc_push</c>. Transport-neutral: unary calls arrive as their
/// request bytes, streams as a duplex <see cref="Stream"/> carrying hivemind frames, whether from the in-process libp2p
/// node or relayed by the p2p-gateway.
/// </summary>
/// <remarks>
/// Every bad input ends the one call or session it arrived on, with an error frame (streams) or p2pd's unary error
/// (unary calls), and frees its KV cache; other sessions keep running.
/// </remarks>
public sealed partial class TransformerConnectionHandler
{
    /// <summary>The activity source of the server's steps.</summary>
    public const string ActivitySourceName = "KwaaiNet.Petals.Server";

    /// <summary>The part size of tensors a forward stream returns: 4 MiB, Petals' <c>DEFAULT_MAX_MSG_SIZE</c>.</summary>
    public const int StreamPartBytes = 4 * 1024 * 1024;

    /// <summary>The step ids an inference session remembers for de-duplication.</summary>
    private const int RememberedSteps = 16384;

    /// <summary>
    /// The requests a session queues ahead of its steps (as hivemind's <c>max_prefetch=5</c>): the client's frames wait
    /// for room, so a session buffers at most this many frames; a push finding no room is dropped (the client sends
    /// every step too).
    /// </summary>
    private const int InboxCapacity = 4;

    private static readonly ActivitySource Source = new(ActivitySourceName);

    private readonly IServedSpanProvider _spans;
    private readonly PetalsServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, InferenceSessionState> _sessions = new(StringComparer.Ordinal);

    /// <summary>Creates the handler.</summary>
    /// <param name="spans">The worker's session core.</param>
    /// <param name="options">Timeouts and limits.</param>
    /// <param name="time">The clock of the timeouts.</param>
    /// <param name="logger">The log.</param>
    public TransformerConnectionHandler(
        IServedSpanProvider spans, IOptions<PetalsServerOptions> options, TimeProvider time, ILogger<TransformerConnectionHandler> logger)
    {
        ArgumentNullException.ThrowIfNull(spans);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _spans = spans;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>Inference sessions running now.</summary>
    public int OpenSessionCount => _sessions.Count;

    /// <summary>Answers one unary call (<c>rpc_info</c>, <c>rpc_forward</c>, <c>rpc_push</c>, <c>rpc_backward</c>).</summary>
    /// <param name="protocol">The protocol id.</param>
    /// <param name="request">The serialized request.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    /// <returns>The serialized response, or the error (Python's <c>repr</c>) for p2pd's error arm.</returns>
    public async Task<UnaryResult> HandleUnaryAsync(string protocol, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        try
        {
            if (request.Length > _options.MaxUnaryMessageBytes)
            {
                throw new PetalsRequestException(
                    "ValueError", Invariant($"a request of {request.Length} bytes is above the unary limit of {_options.MaxUnaryMessageBytes}"));
            }

            IMessage response = protocol switch
            {
                PetalsProtocols.Info => Info(ExpertUID.Parser.ParseFrom(request.Span)),
                PetalsProtocols.Forward => await ForwardUnaryAsync(ExpertRequest.Parser.ParseFrom(request.Span), cancellationToken).ConfigureAwait(false),
                PetalsProtocols.Push => Push(ExpertRequest.Parser.ParseFrom(request.Span)),
                PetalsProtocols.Backward => throw TrainingNotServed(),
                _ => throw new PetalsRequestException("KeyError", protocol),
            };
            return UnaryResult.Ok(response.ToByteArray());
        }
        catch (Exception ex) when (Refusal(ex) is { } refusal)
        {
            _logger.RequestRefused(protocol, refusal.Message);
            return UnaryResult.Fail(refusal.Repr);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            // The request timeout passed; Petals' handler raises asyncio's TimeoutError, whose repr has no text.
            _logger.RequestRefused(protocol, "the request timeout passed");
            return UnaryResult.Fail("TimeoutError()");
        }
#pragma warning disable CA1031 // A handler's bug must not take the worker down: the caller gets the error, the log the stack.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.HandlerFailed(ex, protocol);
            return UnaryResult.Fail(PetalsRequestException.Format(ex.GetType().Name, ex.Message));
        }
    }

    /// <summary>
    /// Serves one stream (<c>rpc_inference</c>, <c>rpc_forward_stream</c>, <c>rpc_backward_stream</c>) until it ends.
    /// The caller completes the stream's writes (FIN) when this returns; the server never sends END_OF_STREAM.
    /// </summary>
    /// <param name="protocol">The protocol id.</param>
    /// <param name="stream">The duplex stream of hivemind frames.</param>
    /// <param name="cancellationToken">Stops the stream (the host is stopping).</param>
    /// <returns>A task that completes when the stream is served.</returns>
    public async Task HandleStreamAsync(string protocol, Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            switch (protocol)
            {
                case PetalsProtocols.Inference:
                    await InferenceAsync(stream, cancellationToken).ConfigureAwait(false);
                    break;
                case PetalsProtocols.ForwardStream:
                    await ForwardStreamAsync(stream, cancellationToken).ConfigureAwait(false);
                    break;
                case PetalsProtocols.BackwardStream:
                    await WriteErrorAsync(stream, protocol, TrainingNotServed().Message, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    await WriteErrorAsync(stream, protocol, "unknown handler " + protocol, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host is stopping; the stream is reset by the caller.
        }
        catch (IOException ex)
        {
            _logger.StreamLost(protocol, ex.Message);
        }
#pragma warning disable CA1031 // A handler's bug must not take the worker down: the client gets an error frame, the log the stack.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.HandlerFailed(ex, protocol);
            await HivemindFrameWriter.WriteErrorAsync(stream, ex.GetType().Name + ": " + ex.Message, cancellationToken).ConfigureAwait(false);
        }
    }

    private static PetalsRequestException TrainingNotServed() =>
        new("NotImplementedError", "rpc_backward: training is not served by this server (inference and forward only)");

    /// <summary>The refusal an exception means for the client, or null for a bug.</summary>
    private static PetalsRequestException? Refusal(Exception ex) => ex switch
    {
        PetalsRequestException refusal => refusal,
        InferenceSessionException session => new PetalsRequestException(session.Error == InferenceSessionError.StepTimedOut ? "TimeoutError" : "ValueError", session.Message),
        InvalidProtocolBufferException protobuf => new PetalsRequestException("DecodeError", protobuf.Message),
        FormatException format => new PetalsRequestException("ValueError", format.Message),
        ArgumentException argument => new PetalsRequestException("ValueError", argument.Message),
        _ => null,
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private ServedSpan CurrentSpan(string uid) =>
        _spans.Current ?? throw new PetalsRequestException(
            "RuntimeError", "Remote peer does not serve " + uid + " (the worker serves no span now: " + _spans.StateDetail + ")");

    private ExpertInfo Info(ExpertUID request)
    {
        var span = CurrentSpan(request.Uid);
        (int, string)? schemas = null;
        if (request.Uid.Length > 0)
        {
            SpanUids.CheckBlock(span, request.Uid);
            schemas = (span.Config.HiddenSize, span.DataType);
        }

        var info = ExpertInfoCodec.Encode(ServerInfo.WireVersion, dhtClientMode: false, span.Sessions.CacheTokensLeft, schemas);
        return new ExpertInfo { SerializedInfo = UnsafeByteOperations.UnsafeWrap(info) };
    }

    private ExpertResponse Push(ExpertRequest request)
    {
        var span = CurrentSpan(request.Uid);
        SpanUids.CheckSpan(span, request.Uid);
        var metadata = DecodeInference(request.Metadata);

        // A push for a session this server does not hold is ignored, as Petals does; so is one the session cannot queue:
        // the client sends its own copy of every step.
        if (metadata.SessionId is { } id && _sessions.TryGetValue(id, out var session)
            && !session.Inbox.Writer.TryWrite(new InboundItem(InboundItemKind.Request, request)))
        {
            _logger.PushDropped(id);
        }

        return new ExpertResponse();
    }

    private static InferenceMetadata DecodeInference(ByteString metadata) =>
        metadata.IsEmpty ? new InferenceMetadata() : RequestMetadataCodec.DecodeInference(metadata.Span);

    private static ForwardMetadata DecodeForward(ByteString metadata) =>
        metadata.IsEmpty ? new ForwardMetadata() : RequestMetadataCodec.DecodeForward(metadata.Span);

    private async Task WriteErrorAsync(Stream stream, string protocol, string message, CancellationToken cancellationToken)
    {
        _logger.RequestRefused(protocol, message);
        await HivemindFrameWriter.WriteErrorAsync(stream, message, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<ExpertResponse> ForwardUnaryAsync(ExpertRequest request, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var output = await Task.Run(() => Forward(request.Uid, request.Tensors, request.Metadata, linked.Token), linked.Token).ConfigureAwait(false);
        return new ExpertResponse { Tensors = { output } };
    }

    /// <summary>
    /// Runs a forward pass through the span (<c>rpc_forward</c>, research §8): each sequence of the batch through a
    /// session of its own that is closed right after, so a forward call holds cache only while it runs.
    /// </summary>
    private Tensor Forward(string uids, IList<Tensor> tensors, ByteString metadataBytes, CancellationToken cancellationToken)
    {
        var span = CurrentSpan(uids);
        SpanUids.CheckSpan(span, uids);
        var metadata = DecodeForward(metadataBytes);
        var repeated = new Google.Protobuf.Collections.RepeatedField<Tensor> { tensors };
        var arguments = StepInputs.Arguments(metadata.ArgsStructure, repeated.Count);
        var hidden = StepInputs.ReadHidden(StepInputs.Argument(repeated, arguments, 0), span.Config.HiddenSize);
        StepInputs.CheckNoPrompts(StepInputs.Argument(repeated, arguments, 1));
        var compression = metadata.OutputCompression is [var first, ..]
            ? StepInputs.ResponseCompression((CompressionType)first)
            : CompressionType.None;
        int[] shape = [hidden.Batch, hidden.Tokens, span.Config.HiddenSize];
        if (hidden.Tokens == 0 || hidden.Batch == 0)
        {
            return TensorCodec.Serialize(shape, [], span.DataType, compression);
        }

        if (hidden.Tokens > span.Sessions.Model.MaxSequenceLength)
        {
            throw new PetalsRequestException(
                "ValueError", Invariant($"a forward pass of {hidden.Tokens} tokens is longer than the span's {span.Sessions.Model.MaxSequenceLength} positions"));
        }

        var output = new float[hidden.Values.Length];
        var row = hidden.Tokens * span.Config.HiddenSize;
        using var activity = StartActivity("petals.rpc_forward", TraceParent.Read(metadataBytes.Span), null, null, hidden.Tokens * hidden.Batch, uids);
        for (var b = 0; b < hidden.Batch; b++)
        {
            var session = Open(span, hidden.Tokens);
            try
            {
                var result = span.Sessions.Step(session, hidden.Values[(b * row)..((b + 1) * row)], hidden.Tokens, cancellationToken);
                result.CopyTo(output, b * row);
            }
            finally
            {
                span.Sessions.Close(session);
            }
        }

        return TensorCodec.Serialize(shape, output, span.DataType, compression);
    }

    /// <summary>Opens a span session, turning a budget refusal into Petals' <c>AllocationFailed</c> text.</summary>
    private static SpanSession Open(ServedSpan span, int maxLength)
    {
        try
        {
            return span.Sessions.Open(Math.Max(1, maxLength));
        }
        catch (InferenceSessionException ex) when (ex.Error == InferenceSessionError.CacheBudgetExceeded)
        {
            var bytes = (long)maxLength * span.Sessions.Model.BytesPerToken;
            throw new PetalsRequestException("AllocationFailed", Invariant($"Could not allocate {bytes} bytes immediately: out of memory ({ex.Message})"));
        }
    }

    private static Activity? StartActivity(string name, ActivityContext parent, string? session, long? step, long tokens, string uids)
    {
        var activity = Source.StartActivity(name, ActivityKind.Server, parent);
        if (activity is not null)
        {
            activity.SetTag("petals.session", session);
            activity.SetTag("petals.step", step);
            activity.SetTag("petals.tokens", tokens);
            activity.SetTag("petals.blocks", uids);
        }

        return activity;
    }

    /// <summary>
    /// <c>rpc_forward_stream</c> (research §8): every request frame up to the client's end frame carries parts of the
    /// tensors (the uid and metadata repeated); the output goes back in 4 MiB parts, one response frame each.
    /// </summary>
    private async Task ForwardStreamAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var reader = new HivemindFrameReader(stream, _options.MaxStreamMessageBytes);
        List<Tensor> parts = [];
        ExpertRequest? first = null;
        long total = 0;
        try
        {
            while (true)
            {
                var frame = await reader.ReadAsync(linked.Token).ConfigureAwait(false);
                if (frame is null)
                {
                    // EOF before the end frame: the client gave up.
                    return;
                }

                if (frame.Kind == HivemindFrameKind.Error)
                {
                    break;
                }

                total += frame.Payload.Length;
                if (total > _options.MaxStreamMessageBytes)
                {
                    throw new PetalsRequestException(
                        "ValueError", Invariant($"the forward stream carries more than {_options.MaxStreamMessageBytes} bytes"));
                }

                var request = frame.ParseMessage(ExpertRequest.Parser);
                first ??= request;
                if (request.Uid != first.Uid)
                {
                    throw new PetalsRequestException("ValueError", "Block uids differ in one request");
                }

                parts.AddRange(request.Tensors);
            }

            if (first is null)
            {
                return;
            }

            var tensors = TensorCodec.Combine(parts);
            var output = await Task.Run(() => Forward(first.Uid, [.. tensors], first.Metadata, linked.Token), linked.Token).ConfigureAwait(false);
            foreach (var part in TensorCodec.Split(output, StreamPartBytes))
            {
                await HivemindFrameWriter.WriteMessageAsync(stream, new ExpertResponse { Tensors = { part } }, linked.Token).ConfigureAwait(false);
            }

            await stream.FlushAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            await WriteErrorAsync(stream, PetalsProtocols.ForwardStream, "", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Refusal(ex) is { } refusal)
        {
            // Bad frames (HivemindFrameException is a FormatException) and bad requests alike.
            await WriteErrorAsync(stream, PetalsProtocols.ForwardStream, refusal.Message, cancellationToken).ConfigureAwait(false);
        }
    }
}
