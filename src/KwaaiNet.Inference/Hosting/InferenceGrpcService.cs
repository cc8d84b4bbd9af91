// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Grpc.Core;
using KwaaiNet.Contracts.Inference.V1;
using KwaaiNet.Contracts.Node;
using KwaaiNet.Inference.Sessions;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

namespace KwaaiNet.Inference.Hosting;

/// <summary>The inference-worker's internal gRPC API: maps the wire to the loaded span and its sessions.</summary>
internal sealed class InferenceGrpcService(
    ExecutionProviderSelection providers,
    InferenceModelHost model,
    TokenMeter meter,
    IOptions<NodeOptions> nodeOptions,
    IOptions<InferenceOptions> options) : Contracts.Inference.V1.Inference.InferenceBase
{
    private readonly NodeOptions _node = nodeOptions.Value;
    private readonly TimeSpan _stepWait = options.Value.Sessions.StepTimeout;

    public override Task<InfoResponse> Info(InfoRequest request, ServerCallContext context)
    {
        var choice = providers.Choice;
        var status = model.Status;
        var response = new InfoResponse
        {
            OnnxRuntimeVersion = choice.OnnxRuntimeVersion,
            Package = choice.Package,
            ProviderReason = choice.Reason,
            UseGpu = _node.UseGpu,
            Model = _node.Model,
            State = status.State switch
            {
                WorkerState.Loading => ModelState.Loading,
                WorkerState.Ready => ModelState.Ready,
                _ => ModelState.Failed,
            },
            StateDetail = status.Detail,
            StartBlock = model.ConfiguredStartBlock,
            EndBlock = model.ConfiguredStartBlock + _node.Blocks,
        };
        foreach (var name in choice.Available)
        {
            response.ExecutionProviders.Add(new ExecutionProvider { Name = name, Available = true, Selected = name == choice.Selected });
        }

        if (status.Span is { } span)
        {
            response.StartBlock = span.Span.Start;
            response.EndBlock = span.Span.End;
            response.Dtype = span.DataType;
            response.ModelPath = span.Path;
            response.TotalBlocks = span.Config.LayerCount;
            response.HiddenSize = span.Config.HiddenSize;
            response.VocabSize = span.Config.VocabSize;
            response.CacheTokensLeft = span.Sessions.CacheTokensLeft;
            response.OpenSessions = span.Sessions.OpenSessionCount;
            response.MaxSequenceLength = span.Span.MaxSequenceLength;
        }

        if (status.Throughput is { } throughput)
        {
            response.Throughput = throughput.ComputeTokensPerSecond;
            response.ThroughputSource = status.ThroughputSource;
        }

        return Task.FromResult(response);
    }

    public override async Task<ForwardResponse> Forward(ForwardRequest request, ServerCallContext context)
    {
        var span = ReadySpan();
        var ct = context.CancellationToken;
        var tensor = request.HiddenStates;
        var (values, tokens) = Mapped(() => HiddenStatesCodec.Decode(tensor, span.Config.HiddenSize, span.Span.MaxSequenceLength));
        var session = Mapped(() => span.Sessions.Open(tokens));
        try
        {
            var output = await StepAsync(span.Sessions, session, values, tokens, ct);
            return new ForwardResponse { HiddenStates = HiddenStatesCodec.Encode(output, tensor.Dtype, tensor.Shape) };
        }
        finally
        {
            span.Sessions.Close(session);
        }
    }

    public override async Task Inference(
        IAsyncStreamReader<InferenceRequest> requestStream, IServerStreamWriter<InferenceResponse> responseStream, ServerCallContext context)
    {
        var span = ReadySpan();
        var ct = context.CancellationToken;
        if (!await NextAsync(requestStream, ct))
        {
            return;
        }

        var request = requestStream.Current;
        if (request.MaxLength < 1)
        {
            throw new RpcException(new Status(
                StatusCode.InvalidArgument, "the first request of an inference session must declare max_length, the most tokens the session will hold"));
        }

        var session = Mapped(() => span.Sessions.Open(request.MaxLength));
        try
        {
            while (true)
            {
                if (request.HiddenStates is { } tensor)
                {
                    var room = session.MaxLength - session.Length;
                    var (values, tokens) = Mapped(() => HiddenStatesCodec.Decode(tensor, span.Config.HiddenSize, Math.Max(room, 1)));
                    var output = await StepAsync(span.Sessions, session, values, tokens, ct);
                    await responseStream.WriteAsync(
                        new InferenceResponse { HiddenStates = HiddenStatesCodec.Encode(output, tensor.Dtype, tensor.Shape), SessionLength = session.Length },
                        ct);
                }

                if (!await NextAsync(requestStream, ct))
                {
                    return;
                }

                request = requestStream.Current;
                if (request.MaxLength != 0 && request.MaxLength != session.MaxLength)
                {
                    throw new RpcException(new Status(
                        StatusCode.InvalidArgument, $"max_length is declared once, in the first request (this session's is {session.MaxLength})"));
                }
            }
        }
        finally
        {
            span.Sessions.Close(session);
        }
    }

    public override Task Generate(GenerateRequest request, IServerStreamWriter<GenerateResponse> responseStream, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, "Generate is not available yet"));

    private static T Mapped<T>(Func<T> operation)
    {
        try
        {
            return operation();
        }
        catch (Exception e) when (e is ArgumentException or InferenceSessionException)
        {
            throw InferenceStatus.From(e);
        }
    }

    private LoadedSpan ReadySpan()
    {
        var status = model.Status;
        return status.Span ?? throw InferenceStatus.NotServing(status);
    }

    /// <summary>Runs one step on the thread pool (it is CPU-bound and may take seconds) and counts its tokens.</summary>
    private async Task<float[]> StepAsync(SpanSessionManager sessions, SpanSession session, float[] values, int tokens, CancellationToken cancellationToken)
    {
        try
        {
            var output = await Task.Run(() => sessions.Step(session, values, tokens, cancellationToken), cancellationToken);
            meter.AddStep(tokens);
            return output;
        }
        catch (Exception e) when (e is ArgumentException or InferenceSessionException or OnnxRuntimeException)
        {
            throw InferenceStatus.From(e);
        }
    }

    /// <summary>
    /// The next request, waiting at most the step timeout (Petals' <c>step_timeout</c>: a client that sends no step
    /// for that long loses its session); false when the client ended the stream.
    /// </summary>
    private async Task<bool> NextAsync(IAsyncStreamReader<InferenceRequest> requests, CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (_stepWait != Timeout.InfiniteTimeSpan)
        {
            wait.CancelAfter(_stepWait);
        }

        try
        {
            return await requests.MoveNext(wait.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(
                StatusCode.DeadlineExceeded, $"no request within the step timeout of {_stepWait}; the session is closed"));
        }
    }
}
