// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Model;
using KwaaiNet.Inference.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace KwaaiNet.Inference.Tests.Onnx;

/// <summary>
/// Runs a span graph step by step for one sequence (batch 1), feeding each step's present.* back as the next
/// step's past_key_values.*. Hidden states are exchanged as fp32 and converted for an fp16 graph.
/// </summary>
internal sealed class SpanRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly LlamaConfig _config;
    private readonly int _start;
    private readonly int _end;
    private readonly bool _half;
    private readonly string[] _outputNames;
    private IDisposableReadOnlyCollection<OrtValue>? _previous;

    public SpanRunner(byte[] model, LlamaConfig config, int start, int end, LlamaGraphPrecision precision)
        : this(new InferenceSession(model), config, start, end, precision)
    {
    }

    public SpanRunner(InferenceSession session, LlamaConfig config, int start, int end, LlamaGraphPrecision precision)
    {
        _session = session;
        _config = config;
        _start = start;
        _end = end;
        _half = precision == LlamaGraphPrecision.Fp16;
        List<string> outputs = [LlamaSpanGraph.HiddenStatesOut];
        for (var layer = start; layer < end; layer++)
        {
            outputs.Add(LlamaSpanGraph.PresentKey(layer));
            outputs.Add(LlamaSpanGraph.PresentValue(layer));
        }

        _outputNames = [.. outputs];
    }

    public int Total { get; private set; }

    /// <summary>Shape of the last present key of <paramref name="layer"/>.</summary>
    public long[] PresentShape(int layer) =>
        _previous![1 + (2 * (layer - _start))].GetTensorTypeAndShape().Shape;

    /// <summary>The last present key of <paramref name="layer"/> as fp32, BNSH.</summary>
    public float[] PresentKey(int layer) => Read(_previous![1 + (2 * (layer - _start))]);

    /// <summary>Runs <paramref name="hidden"/> ([tokens, hidden]) through the span and returns its output.</summary>
    public float[] Step(float[] hidden)
    {
        var tokens = hidden.Length / _config.HiddenSize;
        var total = Total + tokens;
        List<OrtValue> owned = [];
        try
        {
            List<string> names = [LlamaSpanGraph.HiddenStates, LlamaSpanGraph.SeqlensK, LlamaSpanGraph.TotalSequenceLength];
            List<OrtValue> values =
            [
                Tensor(hidden, [1, tokens, _config.HiddenSize]),
                OrtValue.CreateTensorValueFromMemory<int>([total - 1], [1]),
                OrtValue.CreateTensorValueFromMemory<int>([total], []),
            ];
            owned.AddRange(values);
            for (var layer = _start; layer < _end; layer++)
            {
                names.Add(LlamaSpanGraph.PastKey(layer));
                names.Add(LlamaSpanGraph.PastValue(layer));
                if (_previous is null)
                {
                    long[] empty = [1, _config.KvHeadCount, 0, _config.HeadSize];
                    var key = Tensor([], empty);
                    var value = Tensor([], empty);
                    owned.Add(key);
                    owned.Add(value);
                    values.Add(key);
                    values.Add(value);
                }
                else
                {
                    values.Add(_previous[1 + (2 * (layer - _start))]);
                    values.Add(_previous[2 + (2 * (layer - _start))]);
                }
            }

            using var options = new RunOptions();
            var results = _session.Run(options, names, values, _outputNames);
            _previous?.Dispose();
            _previous = results;
            Total = total;
            return Read(results[0]);
        }
        finally
        {
            foreach (var value in owned)
            {
                value.Dispose();
            }
        }
    }

    public void Dispose()
    {
        _previous?.Dispose();
        _session.Dispose();
    }

    private OrtValue Tensor(float[] data, long[] shape)
    {
        if (!_half)
        {
            return OrtValue.CreateTensorValueFromMemory(data, shape);
        }

        var halves = new Float16[data.Length];
        for (var i = 0; i < data.Length; i++)
        {
            halves[i] = new Float16(BitConverter.HalfToUInt16Bits((Half)data[i]));
        }

        return OrtValue.CreateTensorValueFromMemory(halves, shape);
    }

    private float[] Read(OrtValue value)
    {
        if (!_half)
        {
            return value.GetTensorDataAsSpan<float>().ToArray();
        }

        var halves = value.GetTensorDataAsSpan<Float16>();
        var output = new float[halves.Length];
        for (var i = 0; i < halves.Length; i++)
        {
            output[i] = (float)BitConverter.UInt16BitsToHalf(halves[i].value);
        }

        return output;
    }
}
