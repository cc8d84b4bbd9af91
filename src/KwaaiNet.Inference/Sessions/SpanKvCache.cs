// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.ML.OnnxRuntime;

namespace KwaaiNet.Inference.Sessions;

/// <summary>
/// A session's keys and values per span layer, <c>[1, kv_heads, length, head_size]</c> each, fed back as the next
/// step's past. Either views into a run's outputs (kept alive by <see cref="_owner"/>) or tensors it owns.
/// </summary>
internal sealed class SpanKvCache : IDisposable
{
    private readonly IDisposable? _owner;

    private SpanKvCache(OrtValue[] keys, OrtValue[] values, IDisposable? owner)
    {
        Keys = keys;
        Values = values;
        _owner = owner;
    }

    public OrtValue[] Keys { get; }

    public OrtValue[] Values { get; }

    /// <summary>Keeps a single-sequence run's outputs: index 0 is the hidden states, then key and value per layer.</summary>
    public static SpanKvCache FromRun(IDisposableReadOnlyCollection<OrtValue> results, int layers)
    {
        var keys = new OrtValue[layers];
        var values = new OrtValue[layers];
        for (var i = 0; i < layers; i++)
        {
            keys[i] = results[1 + (2 * i)];
            values[i] = results[2 + (2 * i)];
        }

        return new SpanKvCache(keys, values, results);
    }

    /// <summary>Takes ownership of the tensors.</summary>
    public static SpanKvCache Owning(OrtValue[] keys, OrtValue[] values) => new(keys, values, owner: null);

    public void Dispose()
    {
        if (_owner is not null)
        {
            _owner.Dispose();
            return;
        }

        foreach (var value in Keys.Concat(Values))
        {
            value.Dispose();
        }
    }
}
