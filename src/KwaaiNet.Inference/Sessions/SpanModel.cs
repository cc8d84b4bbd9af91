// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Model;
using KwaaiNet.Inference.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace KwaaiNet.Inference.Sessions;

/// <summary>
/// A span of Llama decoder layers <c>[start, end)</c> loaded into one ONNX Runtime session, shared by every
/// inference session that runs through this server (ONNX Runtime's <c>Run</c> is thread-safe).
/// </summary>
public sealed class SpanModel : IDisposable
{
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;

    /// <summary>Builds the span's graph from <paramref name="weights"/> and loads it.</summary>
    /// <param name="weights">The model.</param>
    /// <param name="start">The first layer of the span.</param>
    /// <param name="end">One past the span's last layer.</param>
    /// <param name="precision">The graph's element type (hidden states and KV cache included).</param>
    /// <param name="sessionOptions">
    /// Creates the session options (execution provider, threads); the model disposes them once loaded. Plain CPU
    /// options when null.
    /// </param>
    /// <param name="maxSequenceLength">Positions the rotary caches cover; the model's context length by default.</param>
    /// <param name="externalDataFolder">
    /// Where a span whose weights pass <see cref="InlineWeightLimitBytes"/> is written as an ONNX model with external
    /// data before it loads (deleted once loaded); the system's temporary folder when null. Pick a disk, not a RAM
    /// disk: the file is as large as the span's weights.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">The range is empty or outside the model.</exception>
    /// <exception cref="InvalidDataException">A tensor is missing or has the wrong shape.</exception>
    public SpanModel(
        ILlamaWeights weights,
        int start,
        int end,
        LlamaGraphPrecision precision = LlamaGraphPrecision.Fp32,
        Func<SessionOptions>? sessionOptions = null,
        int? maxSequenceLength = null,
        string? externalDataFolder = null)
        : this(weights, start, end, precision, sessionOptions, maxSequenceLength, externalDataFolder, InlineWeightLimitBytes)
    {
    }

    /// <summary>As the public constructor, with the inline limit as a parameter (tests take the external-data path with small spans).</summary>
    internal SpanModel(
        ILlamaWeights weights,
        int start,
        int end,
        LlamaGraphPrecision precision,
        Func<SessionOptions>? sessionOptions,
        int? maxSequenceLength,
        string? externalDataFolder,
        long inlineWeightLimitBytes)
    {
        ArgumentNullException.ThrowIfNull(weights);
        Config = weights.Config;
        Start = start;
        End = end;
        Precision = precision;
        MaxSequenceLength = maxSequenceLength ?? Config.ContextLength;
        ElementSize = precision == LlamaGraphPrecision.Fp16 ? 2 : 4;
        BytesPerToken = 2L * (end - start) * Config.KvHeadCount * Config.HeadSize * ElementSize;

        List<string> inputs = [LlamaSpanGraph.HiddenStates, LlamaSpanGraph.SeqlensK, LlamaSpanGraph.TotalSequenceLength];
        List<string> outputs = [LlamaSpanGraph.HiddenStatesOut];
        for (var layer = start; layer < end; layer++)
        {
            inputs.Add(LlamaSpanGraph.PastKey(layer));
            inputs.Add(LlamaSpanGraph.PastValue(layer));
            outputs.Add(LlamaSpanGraph.PresentKey(layer));
            outputs.Add(LlamaSpanGraph.PresentValue(layer));
        }

        _inputNames = [.. inputs];
        _outputNames = [.. outputs];
        using var options = sessionOptions?.Invoke() ?? new SessionOptions();
        Session = WeightBytes(Config, end - start, ElementSize) <= inlineWeightLimitBytes
            ? new InferenceSession(LlamaSpanGraph.Build(weights, start, end, precision, maxSequenceLength), options)
            : LoadThroughFile(weights, start, end, precision, maxSequenceLength, externalDataFolder, options);
    }

    /// <summary>
    /// Spans whose weights take more bytes than this (1 GiB) load from an ONNX file with external data instead of from
    /// memory: protobuf caps a model held in one message at 2 GiB, and the bytes would be held twice while loading.
    /// </summary>
    public const long InlineWeightLimitBytes = 1L << 30;

    /// <summary>The model's shape.</summary>
    public LlamaConfig Config { get; }

    /// <summary>Bytes of the span's matrices and norms in the graph's element type.</summary>
    internal static long WeightBytes(LlamaConfig config, int layers, int elementSize)
    {
        long d = config.HiddenSize, q = (long)config.HeadCount * config.HeadSize, kv = (long)config.KvHeadCount * config.HeadSize;
        var perLayer = (d * (q + (2 * kv))) + (q * d) + (3 * d * config.IntermediateSize) + (2 * d);
        return layers * perLayer * elementSize;
    }

    /// <summary>The span's first layer.</summary>
    public int Start { get; }

    /// <summary>One past the span's last layer.</summary>
    public int End { get; }

    /// <summary>The element type of hidden states and KV cache inside the graph.</summary>
    public LlamaGraphPrecision Precision { get; }

    /// <summary>The longest sequence the span can hold (positions covered by its rotary caches).</summary>
    public int MaxSequenceLength { get; }

    /// <summary>KV-cache bytes one token takes in the whole span: 2 × layers × KV heads × head size × element size.</summary>
    public long BytesPerToken { get; }

    /// <summary>Layers in the span.</summary>
    public int LayerCount => End - Start;

    internal int ElementSize { get; }

    internal InferenceSession Session { get; }

    /// <summary>Hidden states, seqlens_k, total_sequence_length, then past key and value per layer.</summary>
    internal IReadOnlyList<string> InputNames => _inputNames;

    /// <summary>Hidden states, then present key and value per layer.</summary>
    internal IReadOnlyList<string> OutputNames => _outputNames;

    private static InferenceSession LoadThroughFile(
        ILlamaWeights weights, int start, int end, LlamaGraphPrecision precision, int? maxSequenceLength, string? folder, SessionOptions options)
    {
        var temp = Directory.CreateDirectory(
            Path.Combine(folder ?? Path.GetTempPath(), "kwaainet-span-" + Guid.NewGuid().ToString("N")));
        try
        {
            var modelPath = Path.Combine(temp.FullName, "span.onnx");
            LlamaSpanGraph.Write(weights, start, end, modelPath, "span.onnx.data", precision, maxSequenceLength);
            return new InferenceSession(modelPath, options);
        }
        finally
        {
            try
            {
                // ONNX Runtime holds what it needs once the session exists (on Linux a mapped file outlives its name).
                temp.Delete(recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Windows keeps a mapped file; it is left in the temporary folder.
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose() => Session.Dispose();
}
