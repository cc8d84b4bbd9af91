// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace KwaaiNet.Inference.Sessions;

/// <summary>
/// A session's keys and values per span layer: one <c>[1, kv_heads, capacity, head_size]</c> buffer each, allocated
/// for the session's declared maximum length when it opens. A step passes the same buffer as
/// <c>past_key_values.*</c> and <c>present.*</c>, so GroupQueryAttention appends the new positions in place instead
/// of copying the whole past into a new tensor (research notes §3.2, "shared buffer"). Positions
/// <c>[0, length)</c> hold the session's tokens; the rest is scratch.
/// </summary>
/// <remarks>
/// Also holds the step's input and output lists with the cache already in place, so that a step fills only the
/// hidden states and lengths. Used under the owning session's gate only. The buffers live in CPU memory
/// (<see cref="OrtAllocator.DefaultInstance"/>); with a GPU provider ONNX Runtime copies them to the device and back
/// around each run.
/// </remarks>
internal sealed class SpanKvCache : IDisposable
{
    /// <summary>Inputs before the first past key: hidden states, seqlens_k, total_sequence_length.</summary>
    public const int LeadingInputs = 3;

    private SpanKvCache(OrtValue[] keys, OrtValue[] values, int capacity)
    {
        Keys = keys;
        Values = values;
        Capacity = capacity;
        Inputs = new OrtValue[LeadingInputs + (2 * keys.Length)];
        Outputs = new OrtValue[1 + (2 * keys.Length)];
        for (var i = 0; i < keys.Length; i++)
        {
            Inputs[LeadingInputs + (2 * i)] = keys[i];
            Inputs[LeadingInputs + (2 * i) + 1] = values[i];
            Outputs[1 + (2 * i)] = keys[i];
            Outputs[2 + (2 * i)] = values[i];
        }
    }

    /// <summary>The keys of each span layer, rotated, <c>[1, kv_heads, capacity, head_size]</c>.</summary>
    public OrtValue[] Keys { get; }

    /// <summary>The values of each span layer, <c>[1, kv_heads, capacity, head_size]</c>.</summary>
    public OrtValue[] Values { get; }

    /// <summary>Positions each buffer holds (the session's maximum length).</summary>
    public int Capacity { get; }

    /// <summary>The span's inputs in <see cref="SpanModel.InputNames"/> order; slots 0 to 2 are the step's to fill.</summary>
    public OrtValue[] Inputs { get; }

    /// <summary>The span's outputs in <see cref="SpanModel.OutputNames"/> order; slot 0 is the step's to fill.</summary>
    public OrtValue[] Outputs { get; }

    /// <summary>Allocates the buffers of a session that may hold <paramref name="capacity"/> tokens.</summary>
    public static SpanKvCache Allocate(SpanModel model, int capacity)
    {
        var config = model.Config;
        var type = model.Precision == Onnx.LlamaGraphPrecision.Fp16 ? TensorElementType.Float16 : TensorElementType.Float;
        long[] shape = [1, config.KvHeadCount, capacity, config.HeadSize];
        var keys = new OrtValue[model.LayerCount];
        var values = new OrtValue[model.LayerCount];
        try
        {
            for (var i = 0; i < model.LayerCount; i++)
            {
                keys[i] = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, shape);
                values[i] = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, shape);
            }
        }
        catch
        {
            Dispose(keys, values);
            throw;
        }

        return new SpanKvCache(keys, values, capacity);
    }

    public void Dispose() => Dispose(Keys, Values);

    private static void Dispose(OrtValue?[] keys, OrtValue?[] values)
    {
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i]?.Dispose();
            values[i]?.Dispose();
        }
    }
}
