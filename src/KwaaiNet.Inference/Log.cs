// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Logging;

namespace KwaaiNet.Inference;

internal static partial class Log
{
    private const int Base = 2000;

    [LoggerMessage(EventId = Base + 1, EventName = nameof(ProviderSelected), Level = LogLevel.Information,
        Message = "ONNX Runtime {OnnxRuntimeVersion} ({Package}): using {Provider} because {Reason}; available: {Available}")]
    public static partial void ProviderSelected(this ILogger logger, string onnxRuntimeVersion, string package, string provider, string reason, string available);

    [LoggerMessage(EventId = Base + 2, EventName = nameof(ModelFound), Level = LogLevel.Information,
        Message = "Model {Model}: {Path} (from {Source}), {TotalBlocks} blocks, hidden size {HiddenSize}; serving blocks [{StartBlock}, {EndBlock}) in {DataType} on {Provider}")]
    public static partial void ModelFound(this ILogger logger, string model, string path, string source, int totalBlocks, int hiddenSize, int startBlock, int endBlock, string dataType, string provider);

    [LoggerMessage(EventId = Base + 3, EventName = nameof(BlockLoading), Level = LogLevel.Information,
        Message = "Loading block {Block} ({Done} of {Count} in the span), {ElapsedSeconds:0.0} s so far")]
    public static partial void BlockLoading(this ILogger logger, int block, int done, int count, double elapsedSeconds);

    [LoggerMessage(EventId = Base + 4, EventName = nameof(ModelReady), Level = LogLevel.Information,
        Message = "Serving blocks [{StartBlock}, {EndBlock}) of {Model}: ready in {ElapsedSeconds:0.0} s; KV cache room for {CacheTokens} tokens")]
    public static partial void ModelReady(this ILogger logger, string model, int startBlock, int endBlock, double elapsedSeconds, long cacheTokens);

    [LoggerMessage(EventId = Base + 5, EventName = nameof(ModelUnavailable), Level = LogLevel.Warning,
        Message = "The inference-worker serves no blocks: {Reason}")]
    public static partial void ModelUnavailable(this ILogger logger, string reason);

    [LoggerMessage(EventId = Base + 6, EventName = nameof(ModelLoadFailed), Level = LogLevel.Error,
        Message = "Loading model {Model} failed; the inference-worker serves no blocks")]
    public static partial void ModelLoadFailed(this ILogger logger, string model, Exception exception);

    [LoggerMessage(EventId = Base + 7, EventName = nameof(ThroughputKnown), Level = LogLevel.Information,
        Message = "Decode throughput of blocks [{StartBlock}, {EndBlock}): {TokensPerSecond:0.00} tokens/s ({Source})")]
    public static partial void ThroughputKnown(this ILogger logger, int startBlock, int endBlock, double tokensPerSecond, string source);

    [LoggerMessage(EventId = Base + 8, EventName = nameof(ThroughputFailed), Level = LogLevel.Warning,
        Message = "Measuring the decode throughput failed; the announcer falls back to its default")]
    public static partial void ThroughputFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = Base + 9, EventName = nameof(ThroughputCacheWriteFailed), Level = LogLevel.Warning,
        Message = "Could not write the throughput cache {Path}; the next start measures again")]
    public static partial void ThroughputCacheWriteFailed(this ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = Base + 10, EventName = nameof(PublishFailed), Level = LogLevel.Warning,
        Message = "Could not publish {Message} on the bus")]
    public static partial void PublishFailed(this ILogger logger, string message, Exception exception);

    [LoggerMessage(EventId = Base + 11, EventName = nameof(SpanClamped), Level = LogLevel.Warning,
        Message = "blocks = {Blocks} from start_block {StartBlock} passes the model's {TotalBlocks} blocks; serving [{StartBlock}, {TotalBlocks})")]
    public static partial void SpanClamped(this ILogger logger, int blocks, int startBlock, int totalBlocks);

    [LoggerMessage(EventId = Base + 12, EventName = nameof(WholeModelUnavailable), Level = LogLevel.Warning,
        Message = "This worker holds every block, but Generate is off: {Reason}")]
    public static partial void WholeModelUnavailable(this ILogger logger, string reason);

    [LoggerMessage(EventId = Base + 13, EventName = nameof(WaitingForSpan), Level = LogLevel.Information,
        Message = "Waiting for a span: no start_block is configured and no serving.json was found; the map-announcer sends one after its first look at the network map")]
    public static partial void WaitingForSpan(this ILogger logger);

    [LoggerMessage(EventId = Base + 14, EventName = nameof(SpanResumed), Level = LogLevel.Information,
        Message = "Resuming blocks [{StartBlock}, {EndBlock}) of {Model} from {Path}")]
    public static partial void SpanResumed(this ILogger logger, string model, int startBlock, int endBlock, string path);

    [LoggerMessage(EventId = Base + 15, EventName = nameof(ServingFileIgnored), Level = LogLevel.Warning,
        Message = "Ignoring {Path}: {Problem}")]
    public static partial void ServingFileIgnored(this ILogger logger, string path, string problem);

    [LoggerMessage(EventId = Base + 16, EventName = nameof(ServingFileWriteFailed), Level = LogLevel.Warning,
        Message = "Could not write {Path}; the span is served, but a restart will not resume it")]
    public static partial void ServingFileWriteFailed(this ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = Base + 17, EventName = nameof(ServeSpanIgnoredForConfiguration), Level = LogLevel.Information,
        Message = "Ignoring ServeSpan for blocks [{StartBlock}, {EndBlock}) of {Model}: start_block is configured ({ConfiguredStartBlock}), and explicit configuration wins")]
    public static partial void ServeSpanIgnoredForConfiguration(this ILogger logger, string model, int startBlock, int endBlock, int configuredStartBlock);

    [LoggerMessage(EventId = Base + 18, EventName = nameof(ServeSpanIgnoredAsOlder), Level = LogLevel.Information,
        Message = "Ignoring ServeSpan for blocks [{StartBlock}, {EndBlock}) of {Model} issued at {IssuedAt:O}: the span held was issued at {HeldIssuedAt:O}")]
    public static partial void ServeSpanIgnoredAsOlder(this ILogger logger, string model, int startBlock, int endBlock, DateTimeOffset issuedAt, DateTimeOffset heldIssuedAt);

    [LoggerMessage(EventId = Base + 19, EventName = nameof(ServeSpanInvalid), Level = LogLevel.Warning,
        Message = "Ignoring a malformed ServeSpan: {Problem}")]
    public static partial void ServeSpanInvalid(this ILogger logger, string problem);

    [LoggerMessage(EventId = Base + 20, EventName = nameof(ServeSpanAccepted), Level = LogLevel.Information,
        Message = "ServeSpan: serving blocks [{StartBlock}, {EndBlock}) of {Model} next ({Reason})")]
    public static partial void ServeSpanAccepted(this ILogger logger, string model, int startBlock, int endBlock, string reason);

    [LoggerMessage(EventId = Base + 21, EventName = nameof(SpanReleasedWithOpenSessions), Level = LogLevel.Warning,
        Message = "Releasing blocks [{StartBlock}, {EndBlock}) with {OpenSessions} sessions still open; they fail")]
    public static partial void SpanReleasedWithOpenSessions(this ILogger logger, int startBlock, int endBlock, int openSessions);

    // Worker registry (Base + 60 and up).
    [LoggerMessage(EventId = Base + 60, EventName = nameof(WorkerRegistered), Level = LogLevel.Information,
        Message = "Worker {WorkerId} registers in pool {Pool} at {Endpoint}, refreshed every {RefreshPeriod}")]
    public static partial void WorkerRegistered(this ILogger logger, string workerId, string pool, Uri endpoint, TimeSpan refreshPeriod);

    [LoggerMessage(EventId = Base + 61, EventName = nameof(WorkerEndpointUnknown), Level = LogLevel.Error,
        Message = "Worker {WorkerId} cannot tell its own gRPC endpoint; set KwaaiNet:Inference:AdvertisedAddress. It does not join pool {Pool}")]
    public static partial void WorkerEndpointUnknown(this ILogger logger, string workerId, string pool);

    [LoggerMessage(EventId = Base + 62, EventName = nameof(WorkerRegistryUnavailable), Level = LogLevel.Warning,
        Message = "Worker {WorkerId} could not refresh its entry in pool {Pool} ({Reason}); retrying every refresh period")]
    public static partial void WorkerRegistryUnavailable(this ILogger logger, string workerId, string pool, string reason);

    [LoggerMessage(EventId = Base + 63, EventName = nameof(WorkerRegistryRecovered), Level = LogLevel.Information,
        Message = "Worker {WorkerId} refreshed its entry in pool {Pool} again")]
    public static partial void WorkerRegistryRecovered(this ILogger logger, string workerId, string pool);

    [LoggerMessage(EventId = Base + 64, EventName = nameof(WorkerDeregistered), Level = LogLevel.Information,
        Message = "Worker {WorkerId} left pool {Pool}")]
    public static partial void WorkerDeregistered(this ILogger logger, string workerId, string pool);

    [LoggerMessage(EventId = Base + 65, EventName = nameof(WorkerDeregisterFailed), Level = LogLevel.Warning,
        Message = "Worker {WorkerId} could not leave pool {Pool} ({Reason}); its entry expires on its own")]
    public static partial void WorkerDeregisterFailed(this ILogger logger, string workerId, string pool, string reason);

    [LoggerMessage(EventId = Base + 30, EventName = nameof(OpenAiRequestRefused), Level = LogLevel.Information,
        Message = "OpenAI-compatible API: {Method} {Path} refused with {Status} {Code}: {Reason}")]
    public static partial void OpenAiRequestRefused(this ILogger logger, string method, string path, int status, string code, string reason);

    [LoggerMessage(EventId = Base + 31, EventName = nameof(OpenAiCompleted), Level = LogLevel.Information,
        Message = "OpenAI-compatible API: {Operation} with {Model}: {PromptTokens} prompt tokens, {CompletionTokens} completion tokens, finish reason {FinishReason}")]
    public static partial void OpenAiCompleted(this ILogger logger, string operation, string model, int promptTokens, int completionTokens, string finishReason);

    [LoggerMessage(EventId = Base + 32, EventName = nameof(OpenAiRequestFailed), Level = LogLevel.Error,
        Message = "OpenAI-compatible API: {Method} {Path} failed")]
    public static partial void OpenAiRequestFailed(this ILogger logger, string method, string path, Exception exception);
}
