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
    /// <exception cref="ArgumentOutOfRangeException">The range is empty or outside the model.</exception>
    /// <exception cref="InvalidDataException">A tensor is missing or has the wrong shape.</exception>
    public SpanModel(
        ILlamaWeights weights,
        int start,
        int end,
        LlamaGraphPrecision precision = LlamaGraphPrecision.Fp32,
        Func<SessionOptions>? sessionOptions = null,
        int? maxSequenceLength = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var bytes = LlamaSpanGraph.Build(weights, start, end, precision, maxSequenceLength);
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
        Session = new InferenceSession(bytes, options);
    }

    /// <summary>The model's shape.</summary>
    public LlamaConfig Config { get; }

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

    /// <inheritdoc/>
    public void Dispose() => Session.Dispose();
}
