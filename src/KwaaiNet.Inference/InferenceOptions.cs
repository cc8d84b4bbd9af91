// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.ComponentModel.DataAnnotations;
using KwaaiNet.Inference.Scaling;
using KwaaiNet.Inference.Sessions;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Inference;

/// <summary>
/// The inference-worker's settings, section <c>KwaaiNet:Inference</c>. The model and span themselves come from the
/// node's settings (<c>KwaaiNet:Node:model</c>, <c>start_block</c>, <c>blocks</c>, <c>use_gpu</c>).
/// </summary>
public sealed class InferenceOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "KwaaiNet:Inference";

    /// <summary>The longest session when <see cref="MaxSequenceLength"/> is 0 and the model's context is longer.</summary>
    public const int DefaultMaxSequenceLength = 8192;

    /// <summary>A GGUF file to serve; when set it wins over resolving <c>KwaaiNet:Node:model</c>.</summary>
    public string? ModelPath { get; set; }

    /// <summary>A folder of plain <c>*.gguf</c> files searched by model name. Default <c>{home}/models</c>.</summary>
    public string? ModelsFolder { get; set; }

    /// <summary>
    /// The Ollama models folder (the one holding <c>manifests</c> and <c>blobs</c>). Default: <c>$OLLAMA_MODELS</c>,
    /// <c>~/.ollama/models</c>, then <c>/usr/share/ollama/.ollama/models</c>, the first that exists.
    /// </summary>
    public string? OllamaModels { get; set; }

    /// <summary>The span's element type. Default <see cref="InferencePrecision.Auto"/>: fp16 on a GPU provider, fp32 on the CPU.</summary>
    public InferencePrecision Precision { get; set; } = InferencePrecision.Auto;

    /// <summary>ONNX Runtime intra-op threads; 0 (default) lets ONNX Runtime use one per physical core.</summary>
    [Range(0, 1024)]
    public int Threads { get; set; }

    /// <summary>
    /// The longest sequence a session may declare (positions covered by the rotary caches). 0 (default): the model's
    /// context length, at most <see cref="DefaultMaxSequenceLength"/>.
    /// </summary>
    [Range(0, 1 << 20)]
    public int MaxSequenceLength { get; set; }

    /// <summary>The largest gRPC message the worker accepts, in MiB (a prefill of 2,048 fp32 tokens of width 4,096 is 32 MiB). Default 64.</summary>
    [Range(1, 2047)]
    public int MaxMessageMegabytes { get; set; } = 64;

    /// <summary>Measure the span's decode throughput at start when the throughput cache has no figure for it. Default true.</summary>
    public bool MeasureThroughput { get; set; } = true;

    /// <summary>Untimed decode steps before the timed ones. Default 5 (upstream's warm-up).</summary>
    [Range(0, 1000)]
    public int ThroughputWarmupSteps { get; set; } = 5;

    /// <summary>Timed single-token decode steps. Default 20 (upstream's <c>kwaainet benchmark --steps</c>).</summary>
    [Range(1, 10_000)]
    public int ThroughputSteps { get; set; } = 20;

    /// <summary>How often <c>TokensProcessed</c> is published while tokens flow. Default 10 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan ReportPeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The KV-cache budget and session timeouts, section <c>KwaaiNet:Inference:Sessions</c>.</summary>
    [ValidateObjectMembers]
    public SpanSessionOptions Sessions { get; set; } = new();

    /// <summary>
    /// The worker's own gRPC endpoint as the gateway dials it when Redis is configured (the worker registers it in its
    /// pool). Default: the Kestrel <c>grpc</c> endpoint, with a wildcard host replaced by this machine's first IPv4
    /// address; set it where that is not reachable (a Kubernetes pod's IP).
    /// </summary>
    public Uri? AdvertisedAddress { get; set; }

    /// <summary>The worker pool registration (used when Redis is configured), section <c>KwaaiNet:Inference:Registry</c>.</summary>
    [ValidateObjectMembers]
    public WorkerRegistryOptions Registry { get; set; } = new();
}
