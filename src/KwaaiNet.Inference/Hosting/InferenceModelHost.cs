// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Threading.Channels;
using KwaaiNet.Contracts.Messages;
using KwaaiNet.Contracts.Node;
using KwaaiNet.Inference.Generation;
using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Model;
using KwaaiNet.Inference.Onnx;
using KwaaiNet.Inference.Runtime;
using KwaaiNet.Inference.Serving;
using KwaaiNet.Inference.Sessions;
using KwaaiNet.Inference.Tokenization;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

namespace KwaaiNet.Inference.Hosting;

/// <summary>
/// Serves one span at a time, loaded in the background (the service answers <c>Info</c> and its health checks
/// meanwhile): at start the configured span (<c>start_block</c>), else the one persisted in <c>serving.json</c>, else
/// none until the map-announcer sends a <see cref="ServeSpan"/>; then each newer <see cref="ServeSpan"/> replaces the
/// span unless <c>start_block</c> is configured. Once a span is loaded its decode throughput is found in the throughput
/// cache or measured, and published as <see cref="ThroughputMeasured"/>. Every change of the span's state is published
/// as <see cref="WorkerSpanStatus"/>, and repeated every <see cref="WorkerSpanStatus.HeartbeatPeriod"/> while the
/// worker holds a span. A missing model or a failed load leaves the worker up, serving nothing, with the reason in the
/// log, in <c>Info</c> and in a <see cref="WorkerSpanState.Stopped"/> status.
/// </summary>
internal sealed class InferenceModelHost(
    IOptions<NodeOptions> nodeOptions,
    IOptions<InferenceOptions> options,
    ExecutionProviderSelection providers,
    IPublishEndpoint publisher,
    TimeProvider timeProvider,
    ILogger<InferenceModelHost> logger) : BackgroundService, IServedSpanProvider
{
    /// <summary><c>throughput_source</c> for a figure measured at this start.</summary>
    public const string Measured = "measured";

    /// <summary><c>throughput_source</c> for a figure read from the throughput cache.</summary>
    public const string Cached = "cache";

    /// <summary>How long a replaced span waits for its open sessions to close before it is released anyway.</summary>
    private static readonly TimeSpan ReleaseWait = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan ReleasePoll = TimeSpan.FromMilliseconds(50);

    /// <summary>The final Stopped status gets a few seconds: an unreachable broker must not hold the shutdown.</summary>
    private static readonly TimeSpan FinalStatusLimit = TimeSpan.FromSeconds(5);

    private readonly NodeOptions _node = nodeOptions.Value;
    private readonly InferenceOptions _options = options.Value;
    private readonly ServingFile _servingFile = new(Path.Combine(nodeOptions.Value.EffectiveHome, ServingFile.FileName));
    private readonly Channel<SpanRequest> _requests = Channel.CreateBounded<SpanRequest>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly Lock _gate = new();
    private volatile WorkerStatus _status = new(WorkerState.Loading, "starting");
    private volatile SpanRequest? _current;
    private volatile WorkerSpanStatus? _published;
    private volatile ServedSpan? _served;

    /// <summary>This worker instance: machine, process and a random suffix (several workers may serve one node).</summary>
    public string WorkerId { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{RandomNumberGenerator.GetHexString(6, lowercase: true)}";

    /// <summary>The worker's state now.</summary>
    public WorkerStatus Status => _status;

    /// <summary>The span the worker serves or is about to serve (the newest accepted); null while it waits for one.</summary>
    public SpanRequest? Current => _current;

    /// <summary>The model the worker serves or is about to serve: the current span's, else the configured one.</summary>
    public string CurrentModel => _current?.Model ?? _node.Model;

    /// <inheritdoc/>
    ServedSpan? IServedSpanProvider.Current => _status.State == WorkerState.Ready ? _served : null;

    /// <inheritdoc/>
    public string StateDetail => _status.Detail;

    public override void Dispose()
    {
        base.Dispose();

        // The gRPC server has stopped by the time the container disposes its singletons, so no step is in flight.
        _status.Span?.Dispose();
    }

    /// <summary>
    /// Takes a <see cref="ServeSpan"/> from the map-announcer: ignored (and logged) when <c>start_block</c> is
    /// configured, when it is malformed, or when it is not newer than the span held; otherwise persisted to
    /// <c>serving.json</c> and queued for loading in place of the current span.
    /// </summary>
    public void Accept(ServeSpan command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (_node.StartBlock is { } pinned)
        {
            logger.ServeSpanIgnoredForConfiguration(command.Model, command.StartBlock, command.EndBlock, pinned);
            return;
        }

        var request = new SpanRequest(command.Model, command.StartBlock, command.EndBlock, command.DhtPrefix, command.Repository, command.IssuedAt, SpanRequest.FromCommand);
        if (ServingFile.Validate(request) is { } problem)
        {
            logger.ServeSpanInvalid(problem);
            return;
        }

        lock (_gate)
        {
            if (_current is { } held && command.IssuedAt <= held.IssuedAt)
            {
                logger.ServeSpanIgnoredAsOlder(command.Model, command.StartBlock, command.EndBlock, command.IssuedAt, held.IssuedAt);
                return;
            }

            _current = request;
            try
            {
                _servingFile.Write(request);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.ServingFileWriteFailed(_servingFile.Path, e);
            }
        }

        logger.ServeSpanAccepted(command.Model, command.StartBlock, command.EndBlock, command.Reason);
        _requests.Writer.TryWrite(request);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_published is { State: not WorkerSpanState.Stopped } last)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(FinalStatusLimit);
            await PublishAsync(last with { State = WorkerSpanState.Stopped, DecodeTokensPerSecond = null, CacheTokensLeft = 0, Reason = "the worker is stopping" }, limit.Token);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Runs before the first await, so Info shows the span as soon as the host has started.
        var initial = InitialRequest();
        if (initial is null && _current is null)
        {
            logger.WaitingForSpan();
            _status = new WorkerStatus(WorkerState.Waiting, "waiting for a span: no start_block is configured and no serving.json was found; the map-announcer sends one after its first look at the network map");
        }
        else if (initial is not null)
        {
            lock (_gate)
            {
                // A ServeSpan taken before this ran (a queued command) is newer than the persisted span.
                if (_current is null)
                {
                    _current = initial;
                    _requests.Writer.TryWrite(initial);
                }
            }
        }

        var heartbeats = HeartbeatAsync(stoppingToken);
        try
        {
            while (await _requests.Reader.WaitToReadAsync(stoppingToken))
            {
                if (_requests.Reader.TryRead(out var request))
                {
                    await ServeAsync(request, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync publishes the final status.
        }

        await heartbeats;
    }

    /// <summary>Explicit start_block, else a valid serving.json, else null.</summary>
    private SpanRequest? InitialRequest()
    {
        if (_node.StartBlock is { } start)
        {
            return new SpanRequest(_node.Model, start, start + _node.Blocks, null, null, DateTimeOffset.MinValue, SpanRequest.FromConfiguration);
        }

        var (persisted, problem) = _servingFile.Read();
        if (problem is not null)
        {
            logger.ServingFileIgnored(_servingFile.Path, problem);
        }
        else if (persisted is not null)
        {
            logger.SpanResumed(persisted.Model, persisted.Start, persisted.End, _servingFile.Path);
        }

        return persisted;
    }

    /// <summary>Releases the span held (Stopped), then loads <paramref name="request"/> (Loading, then Serving, or Stopped on failure).</summary>
    private async Task ServeAsync(SpanRequest request, CancellationToken stoppingToken)
    {
        if (_status.Span is { } old)
        {
            var reason = string.Create(CultureInfo.InvariantCulture, $"replaced by blocks [{request.Start}, {request.End}) of {request.Model}");
            _status = new WorkerStatus(WorkerState.Loading, $"releasing blocks [{old.Span.Start}, {old.Span.End}): {reason}");
            if (_published is { } last)
            {
                await PublishAsync(last with { State = WorkerSpanState.Stopped, DecodeTokensPerSecond = null, CacheTokensLeft = 0, Reason = reason, At = timeProvider.GetUtcNow() }, stoppingToken);
            }

            await ReleaseAsync(old, stoppingToken);
        }

        LoadedSpan span;
        string? modelPath = null;
        try
        {
            var (path, source) = ResolveModel(request);
            modelPath = path;
            var plan = await Task.Run(() => Prepare(request, path, source), stoppingToken);
            try
            {
                await PublishAsync(StatusOf(request, WorkerSpanState.Loading, plan.Start, plan.End, plan.Config, plan.DataType, null, 0, null), stoppingToken);
                span = await Task.Run(() => Build(request, plan, stoppingToken), stoppingToken);
            }
            finally
            {
                plan.File.Dispose();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
        catch (FileNotFoundException e)
        {
            logger.ModelUnavailable(e.Message);
            await FailAsync(request, e.Message, stoppingToken);
            return;
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or ArgumentException or NotSupportedException
                                       or OnnxRuntimeException or IOException or UnauthorizedAccessException or OutOfMemoryException)
        {
            logger.ModelLoadFailed(request.Model, e);
            var from = modelPath is null ? string.Empty : $" from {modelPath}";
            await FailAsync(request, $"loading {request.Model}{from} failed: {e.Message}", stoppingToken);
            return;
        }

        _served = new ServedSpan(WorkerId, request.Model, request.DhtPrefix, span.Config, span.DataType, span.Sessions, null);
        _status = new WorkerStatus(WorkerState.Ready, $"serving blocks [{span.Span.Start}, {span.Span.End}) of {request.Model}", span);
        await PublishAsync(StatusOf(request, WorkerSpanState.Serving, span.Span.Start, span.Span.End, span.Config, span.DataType, null, span.Sessions.CacheTokensLeft, null), stoppingToken);
        await FindThroughputAsync(request, span, stoppingToken);
    }

    private async Task FailAsync(SpanRequest request, string reason, CancellationToken cancellationToken)
    {
        _status = new WorkerStatus(WorkerState.Failed, reason);
        var end = request.End;
        await PublishAsync(
            new WorkerSpanStatus(WorkerId, request.Model, request.Start, end, 0, WorkerSpanState.Stopped, null, 0, string.Empty, 0, request.DhtPrefix, request.Repository, reason, timeProvider.GetUtcNow()),
            cancellationToken);
    }

    /// <summary>
    /// Releases a replaced span once its open sessions have closed (new calls are refused already, since the status
    /// holds no span), or after <see cref="ReleaseWait"/>.
    /// </summary>
    private async Task ReleaseAsync(LoadedSpan old, CancellationToken cancellationToken)
    {
        var deadline = timeProvider.GetUtcNow() + ReleaseWait;
        while (old.Sessions.OpenSessionCount > 0 && timeProvider.GetUtcNow() < deadline)
        {
            await Task.Delay(ReleasePoll, timeProvider, cancellationToken);
        }

        if (old.Sessions.OpenSessionCount > 0)
        {
            logger.SpanReleasedWithOpenSessions(old.Span.Start, old.Span.End, old.Sessions.OpenSessionCount);
        }

        old.Dispose();
    }

    /// <summary>Re-publishes the last status while the worker holds a span, with the cache room of now.</summary>
    private async Task HeartbeatAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(WorkerSpanStatus.HeartbeatPeriod, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (_published is { State: not WorkerSpanState.Stopped } last)
                {
                    var cache = _status.Span is { } span && last.State == WorkerSpanState.Serving ? span.Sessions.CacheTokensLeft : last.CacheTokensLeft;
                    await PublishAsync(last with { CacheTokensLeft = cache, At = timeProvider.GetUtcNow() }, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private WorkerSpanStatus StatusOf(
        SpanRequest request, WorkerSpanState state, int start, int end, LlamaConfig config, string dataType, double? tokensPerSecond, long cacheTokensLeft, string? reason) =>
        new(WorkerId, request.Model, start, end, config.LayerCount, state, tokensPerSecond, config.HiddenSize, dataType, cacheTokensLeft,
            request.DhtPrefix, request.Repository, reason, timeProvider.GetUtcNow());

    private async Task PublishAsync(WorkerSpanStatus status, CancellationToken cancellationToken)
    {
        _published = status;
        try
        {
            await publisher.Publish(status, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The bus may be down; the heartbeat sends the status again.
            logger.PublishFailed(nameof(WorkerSpanStatus), e);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.PublishFailed(nameof(WorkerSpanStatus), new TimeoutException("publishing was cancelled"));
        }
    }

    /// <summary>The model's file and where it was found.</summary>
    private (string Path, string Source) ResolveModel(SpanRequest request) =>
        !string.IsNullOrWhiteSpace(_options.ModelPath) && request.Model != _node.Model
            ? throw new ArgumentException($"KwaaiNet:Inference:ModelPath pins the file of the configured model {_node.Model}; it cannot serve {request.Model}")
            : ModelFileResolver.Resolve(request.Model, _options, _node.EffectiveHome);

    /// <summary>Opens the model file and reads its header: the span to load, cut to the model.</summary>
    private LoadPlan Prepare(SpanRequest request, string path, string source)
    {
        var file = GgufFile.Open(path);
        try
        {
            var config = LlamaGguf.ReadConfig(file);
            var start = request.Start;
            if (start >= config.LayerCount)
            {
                throw new ArgumentException($"start_block {start} is past the last block of {request.Model}, which has {config.LayerCount} blocks (0 to {config.LayerCount - 1})");
            }

            var end = request.End;
            if (end > config.LayerCount)
            {
                logger.SpanClamped(end - start, start, config.LayerCount);
                end = config.LayerCount;
            }

            var choice = providers.Choice;
            var precision = _options.Precision switch
            {
                InferencePrecision.Fp32 => LlamaGraphPrecision.Fp32,
                InferencePrecision.Fp16 => LlamaGraphPrecision.Fp16,
                _ => choice.Selected == ExecutionProviders.Cpu ? LlamaGraphPrecision.Fp32 : LlamaGraphPrecision.Fp16,
            };
            var dataType = precision == LlamaGraphPrecision.Fp16 ? HiddenStatesCodec.Float16 : HiddenStatesCodec.Float32;
            logger.ModelFound(request.Model, path, source, config.LayerCount, config.HiddenSize, start, end, dataType, choice.Selected);
            _status = new WorkerStatus(WorkerState.Loading, $"loading blocks [{start}, {end}) of {request.Model} from {path}");
            return new LoadPlan(path, file, config, start, end, precision, dataType, choice.Selected);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private LoadedSpan Build(SpanRequest request, LoadPlan plan, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var (start, end, config, precision) = (plan.Start, plan.End, plan.Config, plan.Precision);
        var maxLength = _options.MaxSequenceLength > 0
            ? _options.MaxSequenceLength
            : Math.Min(config.ContextLength, InferenceOptions.DefaultMaxSequenceLength);
        var weights = new BlockProgressWeights(new GgufLlamaWeights(plan.File), block =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            logger.BlockLoading(block, block - start + 1, end - start, clock.Elapsed.TotalSeconds);
        });
        SessionOptions CreateOptions() => ProviderSessionOptions.Create(plan.Provider, _options.Threads);
        var model = new SpanModel(weights, start, end, precision, CreateOptions, maxLength, Path.Combine(_node.EffectiveHome, "cache"));
        SpanSessionManager? sessions = null;
        try
        {
            sessions = new SpanSessionManager(model, Options.Create(_options.Sessions), timeProvider);
            WholeModel? whole = null;
            string? problem = null;
            if (start == 0 && end == config.LayerCount)
            {
                (whole, problem) = LoadWholeModel(plan.File, weights, precision, sessions, CreateOptions);
            }

            logger.ModelReady(request.Model, start, end, clock.Elapsed.TotalSeconds, sessions.CacheTokensLeft);
            return new LoadedSpan(plan.Path, config, plan.Provider, model, sessions, whole, problem);
        }
        catch
        {
            sessions?.Dispose();
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The embeddings, head and tokenizer of a worker that holds every block. A tokenizer this worker cannot read
    /// turns Generate off (with the reason in the log and in its error) but leaves the span served.
    /// </summary>
    private (WholeModel? Whole, string? Problem) LoadWholeModel(
        GgufFile file, ILlamaWeights weights, LlamaGraphPrecision precision, SpanSessionManager sessions, Func<SessionOptions> createOptions)
    {
        ModelTextFormat format;
        try
        {
            format = ModelTextFormat.FromVocabulary(LlamaGguf.ReadVocabulary(file));
        }
        catch (FormatException e)
        {
            logger.WholeModelUnavailable(e.Message);
            return (null, e.Message);
        }

        var client = new LlamaClientModel(weights, precision, createOptions);
        return (new WholeModel(client, new LlamaGenerator(client, sessions), format), null);
    }

    private async Task FindThroughputAsync(SpanRequest request, LoadedSpan span, CancellationToken cancellationToken)
    {
        var cache = new ThroughputCache(Path.Combine(_node.EffectiveHome, ThroughputCache.FileName));
        var wanted = new ThroughputEntry(0, span.Config.HiddenSize, span.Span.Start, span.Span.End, span.DataType, span.Provider, timeProvider.GetUtcNow());
        var entry = cache.Find(request.Model, wanted);
        var source = Cached;
        if (entry is null)
        {
            if (!_options.MeasureThroughput)
            {
                return;
            }

            try
            {
                var tps = await Task.Run(
                    () => SpanThroughputMeter.MeasureDecode(span.Sessions, _options.ThroughputWarmupSteps, _options.ThroughputSteps, cancellationToken),
                    cancellationToken);
                entry = wanted with { ComputeTokensPerSecond = tps, MeasuredAt = timeProvider.GetUtcNow() };
                source = Measured;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is InferenceSessionException or OnnxRuntimeException or ArgumentException)
            {
                logger.ThroughputFailed(e);
                return;
            }

            try
            {
                cache.Store(request.Model, entry);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.ThroughputCacheWriteFailed(cache.Path, e);
            }
        }

        logger.ThroughputKnown(entry.StartBlock, entry.EndBlock, entry.ComputeTokensPerSecond, source);
        _status = _status with { Throughput = entry, ThroughputSource = source };
        if (_served is { } served && ReferenceEquals(served.Sessions, span.Sessions))
        {
            _served = new ServedSpan(WorkerId, served.Model, served.DhtPrefix, span.Config, span.DataType, span.Sessions, entry.ComputeTokensPerSecond);
        }

        await PublishAsync(
            StatusOf(request, WorkerSpanState.Serving, span.Span.Start, span.Span.End, span.Config, span.DataType, entry.ComputeTokensPerSecond, span.Sessions.CacheTokensLeft, null),
            cancellationToken);
        try
        {
            await publisher.Publish(
                new ThroughputMeasured(
                    request.Model, entry.StartBlock, entry.EndBlock, span.Config.LayerCount, entry.HiddenSize, entry.ComputeTokensPerSecond,
                    entry.Provider, entry.DataType, source == Cached, entry.MeasuredAt),
                cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The bus may be down; Info still reports the figure and the next start publishes it again.
            logger.PublishFailed(nameof(ThroughputMeasured), e);
        }
    }
}
