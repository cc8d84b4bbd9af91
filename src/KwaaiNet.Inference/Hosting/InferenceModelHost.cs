// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using KwaaiNet.Contracts.Messages;
using KwaaiNet.Contracts.Node;
using KwaaiNet.Inference.Generation;
using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Model;
using KwaaiNet.Inference.Onnx;
using KwaaiNet.Inference.Runtime;
using KwaaiNet.Inference.Sessions;
using KwaaiNet.Inference.Tokenization;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

namespace KwaaiNet.Inference.Hosting;

/// <summary>
/// Loads the configured span in the background (the service answers <c>Info</c> and its health checks meanwhile),
/// then finds its decode throughput in the throughput cache or measures it, and publishes
/// <see cref="ThroughputMeasured"/>. A missing model or a failed load leaves the worker up, serving nothing, with the
/// reason in the log and in <c>Info</c>.
/// </summary>
internal sealed class InferenceModelHost(
    IOptions<NodeOptions> nodeOptions,
    IOptions<InferenceOptions> options,
    ExecutionProviderSelection providers,
    IPublishEndpoint publisher,
    TimeProvider timeProvider,
    ILogger<InferenceModelHost> logger) : BackgroundService
{
    /// <summary><c>throughput_source</c> for a figure measured at this start.</summary>
    public const string Measured = "measured";

    /// <summary><c>throughput_source</c> for a figure read from the throughput cache.</summary>
    public const string Cached = "cache";

    private readonly NodeOptions _node = nodeOptions.Value;
    private readonly InferenceOptions _options = options.Value;
    private volatile WorkerStatus _status = new(WorkerState.Loading, "starting");
    private string? _modelPath;

    /// <summary>The worker's state now.</summary>
    public WorkerStatus Status => _status;

    /// <summary>The span's first block as configured (<c>start_block</c>; 0 when unset until span selection chooses one).</summary>
    public int ConfiguredStartBlock => _node.StartBlock ?? 0;

    public override void Dispose()
    {
        base.Dispose();

        // The gRPC server has stopped by the time the container disposes its singletons, so no step is in flight.
        _status.Span?.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LoadedSpan span;
        try
        {
            span = await Task.Run(() => Load(stoppingToken), stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (FileNotFoundException e)
        {
            logger.ModelUnavailable(e.Message);
            _status = new WorkerStatus(WorkerState.Failed, e.Message);
            return;
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or ArgumentException or NotSupportedException
                                       or OnnxRuntimeException or IOException or UnauthorizedAccessException or OutOfMemoryException)
        {
            logger.ModelLoadFailed(_node.Model, e);
            var from = _modelPath is null ? string.Empty : $" from {_modelPath}";
            _status = new WorkerStatus(WorkerState.Failed, $"loading {_node.Model}{from} failed: {e.Message}");
            return;
        }

        _status = new WorkerStatus(WorkerState.Ready, $"serving blocks [{span.Span.Start}, {span.Span.End}) of {_node.Model}", span);
        await FindThroughputAsync(span, stoppingToken);
    }

    private LoadedSpan Load(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var (path, source) = ModelFileResolver.Resolve(_node.Model, _options, _node.EffectiveHome);
        _modelPath = path;
        var choice = providers.Choice;
        using var file = GgufFile.Open(path);
        var config = LlamaGguf.ReadConfig(file);
        var start = ConfiguredStartBlock;
        if (start >= config.LayerCount)
        {
            throw new ArgumentException($"start_block {start} is past the last block of {_node.Model}, which has {config.LayerCount} blocks (0 to {config.LayerCount - 1})");
        }

        var end = start + _node.Blocks;
        if (end > config.LayerCount)
        {
            logger.SpanClamped(_node.Blocks, start, config.LayerCount);
            end = config.LayerCount;
        }

        var precision = _options.Precision switch
        {
            InferencePrecision.Fp32 => LlamaGraphPrecision.Fp32,
            InferencePrecision.Fp16 => LlamaGraphPrecision.Fp16,
            _ => choice.Selected == ExecutionProviders.Cpu ? LlamaGraphPrecision.Fp32 : LlamaGraphPrecision.Fp16,
        };
        var dataType = precision == LlamaGraphPrecision.Fp16 ? HiddenStatesCodec.Float16 : HiddenStatesCodec.Float32;
        logger.ModelFound(_node.Model, path, source, config.LayerCount, config.HiddenSize, start, end, dataType, choice.Selected);
        _status = new WorkerStatus(WorkerState.Loading, $"loading blocks [{start}, {end}) of {_node.Model} from {path}");

        var maxLength = _options.MaxSequenceLength > 0
            ? _options.MaxSequenceLength
            : Math.Min(config.ContextLength, InferenceOptions.DefaultMaxSequenceLength);
        var weights = new BlockProgressWeights(new GgufLlamaWeights(file), block =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            logger.BlockLoading(block, block - start + 1, end - start, clock.Elapsed.TotalSeconds);
        });
        SessionOptions CreateOptions() => ProviderSessionOptions.Create(choice.Selected, _options.Threads);
        var model = new SpanModel(weights, start, end, precision, CreateOptions, maxLength, Path.Combine(_node.EffectiveHome, "cache"));
        SpanSessionManager? sessions = null;
        try
        {
            sessions = new SpanSessionManager(model, Options.Create(_options.Sessions), timeProvider);
            WholeModel? whole = null;
            string? problem = null;
            if (start == 0 && end == config.LayerCount)
            {
                (whole, problem) = LoadWholeModel(file, weights, precision, sessions, CreateOptions);
            }

            logger.ModelReady(_node.Model, start, end, clock.Elapsed.TotalSeconds, sessions.CacheTokensLeft);
            return new LoadedSpan(path, config, choice.Selected, model, sessions, whole, problem);
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
        GgufVocabulary vocabulary;
        ITextTokenizer tokenizer;
        ChatFormat chat;
        try
        {
            vocabulary = LlamaGguf.ReadVocabulary(file);
            tokenizer = TextTokenizer.FromVocabulary(vocabulary);
            chat = ChatTemplate.Detect(vocabulary.ChatTemplate, vocabulary);
        }
        catch (FormatException e)
        {
            logger.WholeModelUnavailable(e.Message);
            return (null, e.Message);
        }

        var client = new LlamaClientModel(weights, precision, createOptions);
        return (new WholeModel(client, new LlamaGenerator(client, sessions), tokenizer, chat, vocabulary.AddBos), null);
    }

    private async Task FindThroughputAsync(LoadedSpan span, CancellationToken cancellationToken)
    {
        var cache = new ThroughputCache(Path.Combine(_node.EffectiveHome, ThroughputCache.FileName));
        var wanted = new ThroughputEntry(0, span.Config.HiddenSize, span.Span.Start, span.Span.End, span.DataType, span.Provider, timeProvider.GetUtcNow());
        var entry = cache.Find(_node.Model, wanted);
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
                cache.Store(_node.Model, entry);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.ThroughputCacheWriteFailed(cache.Path, e);
            }
        }

        logger.ThroughputKnown(entry.StartBlock, entry.EndBlock, entry.ComputeTokensPerSecond, source);
        _status = _status with { Throughput = entry, ThroughputSource = source };
        try
        {
            await publisher.Publish(
                new ThroughputMeasured(
                    _node.Model, entry.StartBlock, entry.EndBlock, span.Config.LayerCount, entry.HiddenSize, entry.ComputeTokensPerSecond,
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
