// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using KwaaiNet.Hivemind.Compression;
using KwaaiNet.Hivemind.Protos;
using KwaaiNet.Hivemind.Streams;
using KwaaiNet.Petals.Protocol;

namespace KwaaiNet.Petals.Client;

/// <summary>
/// A session over Petals' <c>TransformerConnectionHandler.rpc_inference</c> (research petals-protocol.md §3, §6.2, §7):
/// one hivemind-framed stream per session; each step is one <c>ExpertRequest</c> with the span's block uids joined by
/// spaces, the tensors <c>[hidden float32 [1, T, H], DUMMY float32 [0], DUMMY_INT64 int64 [0]]</c> and metadata
/// (<c>session_id</c>, a fresh <c>step_id</c>, <c>max_length</c> and <c>points</c> on the first step,
/// <c>start_from_position</c> and <c>args_structure</c> every step, and the step's W3C <c>traceparent</c>), answered by
/// one <c>ExpertResponse</c> with the output of the same shape. Closing sends the empty <c>ExpertRequest</c> ("done")
/// and <c>END_OF_STREAM</c>, then closes the stream.
/// </summary>
internal sealed class PetalsSpanSession : IRemoteSpanSession
{
    /// <summary>Tensor indices of the step's positional arguments (hidden states, prompts, hypo ids).</summary>
    private static readonly int[] ArgsStructure = [0, 1, 2];

    private readonly Stream _stream;
    private readonly HivemindFrameReader _reader;
    private readonly string _uids;
    private readonly int _maxLength;
    private readonly TimeSpan _requestTimeout;
    private readonly string _sessionId = Guid.NewGuid().ToString();
    private bool _stepped;
    private bool _broken;
    private int _disposed;

    public PetalsSpanSession(Stream stream, RouteSpan span, string uids, int maxLength, TimeSpan requestTimeout, long maxResponseBytes)
    {
        _stream = stream;
        _reader = new HivemindFrameReader(stream, maxResponseBytes);
        _uids = uids;
        _maxLength = maxLength;
        _requestTimeout = requestTimeout;
        Span = span;
    }

    public RouteSpan Span { get; }

    private string PeerId => Span.PeerId;

    private int Start => Span.Start;

    private int End => Span.End;

    public async Task<float[]> StepAsync(float[] hiddenStates, int tokens, int position, CancellationToken cancellationToken)
    {
        SpanStepPreconditions.Check(this, hiddenStates, tokens, position, Volatile.Read(ref _disposed) != 0, _broken);

        var hidden = hiddenStates.Length / tokens;
        var first = !_stepped;
        var request = new ExpertRequest
        {
            Uid = _uids,
            Metadata = ByteString.CopyFrom(RequestMetadataCodec.Encode(new InferenceMetadata
            {
                SessionId = _sessionId,
                StepId = Guid.NewGuid().ToString(),
                MaxLength = first ? _maxLength : null,
                Points = first ? 0.0 : null,
                ArgsStructure = ArgsStructure,
                StartFromPosition = position,
                TraceParent = Activity.Current?.Id,
            })),
        };
        request.Tensors.Add(TensorCodec.Serialize([1, tokens, hidden], hiddenStates));
        request.Tensors.Add(TensorCodec.Serialize([0], []));
        request.Tensors.Add(TensorCodec.Serialize([0], TensorDTypes.Int64Name, []));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_requestTimeout);
        try
        {
            _stepped = true;
            await HivemindFrameWriter.WriteMessageAsync(_stream, request, timeout.Token);
            await _stream.FlushAsync(timeout.Token);
            var frame = await _reader.ReadAsync(timeout.Token)
                ?? throw Failed("closed the stream instead of answering the step");
            if (frame.Kind == HivemindFrameKind.Error)
            {
                throw Failed("answered with an error: " + frame.ParseError().Message);
            }

            var response = frame.ParseMessage(ExpertResponse.Parser);
            if (response.Tensors.Count == 0)
            {
                throw Failed("answered with no tensor");
            }

            var output = TensorCodec.Deserialize(response.Tensors[0]);
            if (output.Shape is not [1, var t, var h] || t != tokens || h != hidden)
            {
                throw Failed(Invariant($"answered a tensor of shape [{string.Join(", ", output.Shape)}] to one of [1, {tokens}, {hidden}]"));
            }

            return TensorCodec.ToSingles(output);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _broken = true;
            throw Failed(Invariant($"did not answer within {_requestTimeout.TotalSeconds} s"));
        }
        catch (RemoteSpanException)
        {
            _broken = true;
            throw;
        }
        catch (Exception ex) when (ex is IOException or FormatException or InvalidProtocolBufferException or ObjectDisposedException)
        {
            _broken = true;
            throw new RemoteSpanException(Invariant($"The session on {PeerId} for blocks [{Start}, {End}) failed: {ex.Message}"), ex);
        }
        catch (OperationCanceledException)
        {
            _broken = true;
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (_stepped && !_broken)
            {
                // Petals' _aclose_stream: an empty request ends the session, END_OF_STREAM ends the request stream.
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await HivemindFrameWriter.WriteMessageAsync(_stream, new ExpertRequest(), timeout.Token);
                await HivemindFrameWriter.WriteEndOfStreamAsync(_stream, timeout.Token);
                await _stream.FlushAsync(timeout.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The server is gone or the stream broke: there is nothing left to close politely.
        }
        finally
        {
            await _stream.DisposeAsync();
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private RemoteSpanException Failed(string what) => new(Invariant($"{PeerId} (blocks [{Start}, {End})) {what}"));
}
