// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Google.Protobuf;
using KwaaiNet.Hivemind.Compression;
using KwaaiNet.Hivemind.Protos;
using KwaaiNet.Hivemind.Streams;
using KwaaiNet.Petals.Protocol;

namespace KwaaiNet.Petals.Serving;

/// <summary><c>rpc_inference</c> (research petals-protocol.md §7).</summary>
public sealed partial class TransformerConnectionHandler
{
    private long _localSessions;

    /// <summary>
    /// One inference session: the first request opens it (uids, <c>max_length</c>, cache), every request with tensors
    /// is a step answered by one response frame unless its <c>step_id</c> was seen, a request without tensors or the
    /// client's <c>0x01</c> frame ends it, EOF cancels it; the KV cache is freed on every path.
    /// </summary>
    private async Task InferenceAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var sessionTimeout = new CancellationTokenSource(_options.SessionTimeout, _time);
        using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, sessionTimeout.Token);
        using var pumpStop = CancellationTokenSource.CreateLinkedTokenSource(session.Token);
        var inbox = Channel.CreateBounded<InboundItem>(new BoundedChannelOptions(InboxCapacity) { SingleReader = true });
        var clientGone = new StrongBox<bool>();
        var pump = PumpAsync(stream, inbox.Writer, session, clientGone, pumpStop.Token);
        InferenceSessionState? state = null;
        var reason = "the client ended it";
        try
        {
            var item = await NextAsync(inbox.Reader, session.Token).ConfigureAwait(false);
            var request = Requested(item, ref reason);
            if (request is null)
            {
                return;
            }

            var metadata = DecodeInference(request.Metadata);
            state = Open(request, metadata, inbox);
            while (request.Tensors.Count > 0)
            {
                if (metadata.StepId is null || state.FirstTime(metadata.StepId, RememberedSteps))
                {
                    var response = Step(state, request, metadata, session.Token);
                    await HivemindFrameWriter.WriteMessageAsync(stream, response, session.Token).ConfigureAwait(false);
                    await stream.FlushAsync(session.Token).ConfigureAwait(false);
                }
                else
                {
                    _logger.StepSkipped(state.Name, metadata.StepId);
                }

                item = await NextAsync(inbox.Reader, session.Token).ConfigureAwait(false);
                request = Requested(item, ref reason);
                if (request is null)
                {
                    return;
                }

                metadata = DecodeInference(request.Metadata);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            if (clientGone.Value)
            {
                reason = "the client closed the stream";
            }
            else if (sessionTimeout.IsCancellationRequested)
            {
                // Petals ends an expired session with an empty error text (asyncio's TimeoutError); ours says why.
                reason = "the session timeout passed";
                await WriteErrorAsync(
                    stream, PetalsProtocols.Inference, Invariant($"the session ran past the session timeout of {_options.SessionTimeout}"), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (Refusal(ex) is { } refusal)
        {
            reason = "refused: " + refusal.Message;
            if (!clientGone.Value)
            {
                await WriteErrorAsync(stream, PetalsProtocols.Inference, refusal.Message, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (state is not null)
            {
                state.Span.Sessions.Close(state.Session);
                _sessions.TryRemove(KeyValuePair.Create(state.Name, state));
                _logger.SessionClosed(state.Name, state.Steps, reason);
            }

            await pumpStop.CancelAsync().ConfigureAwait(false);
            await pump.ConfigureAwait(false);
        }
    }

    /// <summary>The request an inbox item carries, or null when the session ends here (with why in <paramref name="reason"/>).</summary>
    private static ExpertRequest? Requested(InboundItem? item, ref string reason)
    {
        switch (item?.Kind)
        {
            case null:
                reason = "no step came within the step timeout";
                return null;
            case InboundItemKind.EndOfInput:
                reason = "the client ended its input";
                return null;
            case InboundItemKind.Closed:
                reason = "the client closed the stream";
                return null;
            case InboundItemKind.Error:
                throw new PetalsRequestException("ValueError", item.Error ?? "an unreadable frame");
            default:
                return item.Request;
        }
    }

    /// <summary>Opens the session from its first request (research §7.2).</summary>
    private InferenceSessionState Open(ExpertRequest request, InferenceMetadata metadata, Channel<InboundItem> inbox)
    {
        var span = CurrentSpan(request.Uid);
        SpanUids.CheckSpan(span, request.Uid);
        if (metadata.MaxLength is not { } maxLength)
        {
            throw new PetalsRequestException(
                "AssertionError", "rpc_inference metadata must contain int max_length, got None (the first message opens the session)");
        }

        var limit = span.Sessions.Model.MaxSequenceLength;
        if (maxLength > limit)
        {
            throw new PetalsRequestException("ValueError", Invariant($"Cannot allocate KV cache for {maxLength} tokens, max = {limit}"));
        }

        if (request.Tensors.Count > 0 && request.Tensors[0].Size.Count > 0 && request.Tensors[0].Size[0] > 1)
        {
            throw new PetalsRequestException(
                "ValueError", Invariant($"a batch of {request.Tensors[0].Size[0]} sequences is not served: inference sessions run a batch of 1"));
        }

        var opened = Open(span, maxLength);
        var name = metadata.SessionId ?? Invariant($"local-{Interlocked.Increment(ref _localSessions)}");
        var state = new InferenceSessionState(name, span, opened, maxLength, metadata.ArgsStructure, inbox);
        if (!_sessions.TryAdd(name, state))
        {
            span.Sessions.Close(opened);
            throw new PetalsRequestException("AssertionError", "session id " + name + " is not unique");
        }

        _logger.SessionOpened(name, maxLength, request.Uid);
        return state;
    }

    /// <summary>Runs one step (research §7.3) and builds its response: the input's shape, the span's dtype.</summary>
    private static ExpertResponse Step(InferenceSessionState state, ExpertRequest request, InferenceMetadata metadata, CancellationToken cancellationToken)
    {
        var span = state.Span;
        var session = state.Session;
        if (metadata.StartFromPosition is { } position)
        {
            if (position > session.Length)
            {
                throw new PetalsRequestException(
                    "ValueError", Invariant($"start_from_position {position} is past the session's {session.Length} tokens"));
            }

            if (position < session.Length)
            {
                span.Sessions.Rewind(session, position);
            }
        }

        var arguments = StepInputs.Arguments(state.ArgsStructure, request.Tensors.Count);
        var hidden = StepInputs.ReadHidden(StepInputs.Argument(request.Tensors, arguments, 0), span.Config.HiddenSize);
        if (hidden.Batch != 1)
        {
            throw new PetalsRequestException(
                "ValueError", Invariant($"a batch of {hidden.Batch} sequences is not served: inference sessions run a batch of 1"));
        }

        StepInputs.CheckNoPrompts(StepInputs.Argument(request.Tensors, arguments, 1));
        StepInputs.CheckHypoIds(StepInputs.Argument(request.Tensors, arguments, 2));
        if (session.Length + hidden.Tokens > state.MaxLength)
        {
            throw new PetalsRequestException(
                "ValueError",
                Invariant($"Maximum length exceeded: prefix {session.Length} + current {hidden.Tokens} exceeds pre-allocated maximum {state.MaxLength}"));
        }

        var step = state.Steps + 1;
        using var activity = StartActivity(
            "petals.rpc_inference step", TraceParent.Read(request.Metadata.Span), state.Name, step, hidden.Tokens, request.Uid.Length > 0 ? request.Uid : Invariant($"[{span.Start}, {span.End})"));
        var output = hidden.Tokens == 0
            ? []
            : span.Sessions.Step(session, hidden.Values, hidden.Tokens, cancellationToken);
        state.Steps = step;
        int[] shape = [1, hidden.Tokens, span.Config.HiddenSize];
        return new ExpertResponse
        {
            Tensors = { TensorCodec.Serialize(shape, output, span.DataType, StepInputs.ResponseCompression(hidden.Compression)) },
        };
    }

    /// <summary>The next item of the session, or null when none comes within the step timeout.</summary>
    private async ValueTask<InboundItem?> NextAsync(ChannelReader<InboundItem> inbox, CancellationToken cancellationToken)
    {
        using var stepTimeout = new CancellationTokenSource(_options.StepTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stepTimeout.Token);
        try
        {
            return await inbox.ReadAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stepTimeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (ChannelClosedException)
        {
            return InboundItem.Closed;
        }
    }

    /// <summary>
    /// Reads the client's frames into the inbox: requests, then its end frame. EOF or a reset without an end frame
    /// cancels the session (a step in flight stops, the cache is freed); an unreadable frame ends it with an error.
    /// </summary>
    private async Task PumpAsync(
        Stream stream, ChannelWriter<InboundItem> inbox, CancellationTokenSource session, StrongBox<bool> clientGone, CancellationToken cancellationToken)
    {
        var reader = new HivemindFrameReader(stream, _options.MaxStreamMessageBytes);
        try
        {
            while (true)
            {
                var frame = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (frame is null)
                {
                    clientGone.Value = true;
                    inbox.TryWrite(InboundItem.Closed);
                    await session.CancelAsync().ConfigureAwait(false);
                    return;
                }

                if (frame.Kind == HivemindFrameKind.Error)
                {
                    // Any 0x01 frame from the client ends its requests; its content does not matter (research §3.3).
                    await inbox.WriteAsync(InboundItem.EndOfInput, cancellationToken).ConfigureAwait(false);
                    return;
                }

                ExpertRequest request;
                try
                {
                    request = frame.ParseMessage(ExpertRequest.Parser);
                }
                catch (InvalidProtocolBufferException ex)
                {
                    await inbox.WriteAsync(new InboundItem(InboundItemKind.Error, Error: "the request is not an ExpertRequest: " + ex.Message), cancellationToken).ConfigureAwait(false);
                    return;
                }

                await inbox.WriteAsync(new InboundItem(InboundItemKind.Request, request), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (HivemindFrameException ex)
        {
            await PostAsync(inbox, new InboundItem(InboundItemKind.Error, Error: ex.Message), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The session ended first.
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            clientGone.Value = true;
            await session.CancelAsync().ConfigureAwait(false);
        }
    }

    private static async Task PostAsync(ChannelWriter<InboundItem> inbox, InboundItem item, CancellationToken cancellationToken)
    {
        try
        {
            await inbox.WriteAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The session ended first.
        }
    }
}
