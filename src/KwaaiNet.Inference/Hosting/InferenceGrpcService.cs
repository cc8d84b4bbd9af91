// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Grpc.Core;
using KwaaiNet.Contracts.Inference.V1;
using KwaaiNet.Contracts.Node;
using KwaaiNet.Inference.Generation;
using KwaaiNet.Inference.OpenAi;
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
            Model = model.CurrentModel,
            State = status.State switch
            {
                WorkerState.Loading or WorkerState.Waiting => ModelState.Loading,
                WorkerState.Ready => ModelState.Ready,
                _ => ModelState.Failed,
            },
            StateDetail = status.Detail,
            StartBlock = model.Current?.Start ?? 0,
            EndBlock = model.Current?.End ?? 0,
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

    public override async Task Generate(GenerateRequest request, IServerStreamWriter<GenerateResponse> responseStream, ServerCallContext context)
    {
        var span = ReadySpan();
        var whole = span.Whole ?? throw new RpcException(new Status(
            StatusCode.FailedPrecondition,
            span.WholeModelProblem is { } problem
                ? $"Generate is off on this worker: {problem}"
                : $"this worker serves blocks [{span.Span.Start}, {span.Span.End}) of {span.Config.LayerCount}; Generate needs every block (start_block 0, blocks {span.Config.LayerCount})"));
        var characters = request.Prompt.Length + request.Messages.Sum(static m => (long)m.Content.Length + m.Role.Length);
        if (characters > PromptLimits.MaxCharacters(span.Span.MaxSequenceLength))
        {
            // Checked before tokenizing: text this long cannot fit in a session, and encoding it would take long.
            throw new RpcException(new Status(
                StatusCode.InvalidArgument,
                $"the prompt has {characters} characters; a session holds {span.Span.MaxSequenceLength} tokens, so at most {PromptLimits.MaxCharacters(span.Span.MaxSequenceLength)} characters are accepted"));
        }

        var generator = new WholeModelTextGenerator(whole, model.CurrentModel, span.Span.MaxSequenceLength, meter);
        var prompt = Mapped(() => PromptIds(request, generator));
        var room = span.Span.MaxSequenceLength - prompt.Count;
        if (room < 1 || request.MaxNewTokens < 0 || request.MaxNewTokens > room)
        {
            throw new RpcException(new Status(
                StatusCode.InvalidArgument,
                $"the prompt has {prompt.Count} tokens and max_new_tokens is {request.MaxNewTokens}; a session holds at most {span.Span.MaxSequenceLength} tokens, so at most {Math.Max(room, 0)} new ones fit"));
        }

        var generation = new GenerationRequest
        {
            MaxNewTokens = request.MaxNewTokens == 0 ? room : request.MaxNewTokens,
            StopTokenIds = generator.StopTokenIds,
            Sampling = new SamplingOptions
            {
                Temperature = request.HasTemperature ? request.Temperature : 1f,
                TopK = request.TopK,
                TopP = request.HasTopP ? request.TopP : 1f,
                RepetitionPenalty = request.HasRepetitionPenalty ? request.RepetitionPenalty : 1f,
                Seed = request.HasSeed ? request.Seed : null,
            },
        };
        Mapped(() =>
        {
            generation.Validate();
            return true;
        });

        await GenerateTokensAsync(generator, prompt, generation, responseStream, context.CancellationToken);
    }

    /// <summary>
    /// The prompt as token ids: <c>prompt_token_ids</c> as given, <c>prompt</c> encoded, or <c>messages</c> rendered with
    /// the model's chat template and encoded; exactly one of them.
    /// </summary>
    private static IReadOnlyList<int> PromptIds(GenerateRequest request, WholeModelTextGenerator generator)
    {
        var given = (request.Prompt.Length > 0 ? 1 : 0) + (request.PromptTokenIds.Count > 0 ? 1 : 0) + (request.Messages.Count > 0 ? 1 : 0);
        if (given != 1)
        {
            throw new ArgumentException($"a Generate request carries exactly one of prompt, prompt_token_ids and messages ({given} given)");
        }

        if (request.PromptTokenIds.Count > 0)
        {
            var vocabulary = generator.VocabSize;
            foreach (var id in request.PromptTokenIds)
            {
                if (id < 0 || id >= vocabulary)
                {
                    throw new ArgumentException($"prompt token id {id} is outside the vocabulary [0, {vocabulary})");
                }
            }

            return [.. request.PromptTokenIds];
        }

        return request.Prompt.Length > 0
            ? generator.EncodePrompt(request.Prompt)
            : generator.EncodeChat([.. request.Messages.Select(static m => new Tokenization.ChatMessage(m.Role, m.Content))]);
    }

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
    /// Streams one response per generated token with the text it completes (see <see cref="TextDeltaDecoder"/>); a stop
    /// token ends the stream with a response that carries only the finish reason.
    /// </summary>
    private static async Task GenerateTokensAsync(
        WholeModelTextGenerator generator,
        IReadOnlyList<int> prompt,
        GenerationRequest generation,
        IServerStreamWriter<GenerateResponse> responseStream,
        CancellationToken cancellationToken)
    {
        var decoder = new TextDeltaDecoder(generator.Decode);
        try
        {
            await foreach (var token in generator.GenerateAsync(prompt, generation, cancellationToken))
            {
                var response = new GenerateResponse { PromptTokens = prompt.Count };
                if (token.IsText)
                {
                    response.TokenId = token.Id;
                    response.Text = decoder.Add(token.Id, token.FinishReason is not null);
                }

                response.CompletionTokens = decoder.Count;
                response.FinishReason = token.FinishReason switch
                {
                    GenerationFinishReason.Stop => FinishReason.Stop,
                    GenerationFinishReason.Length => FinishReason.Length,
                    _ => FinishReason.Unspecified,
                };
                await responseStream.WriteAsync(response, cancellationToken);
            }
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
