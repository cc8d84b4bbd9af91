// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Model;
using KwaaiNet.Inference.Sessions;

namespace KwaaiNet.Inference.Serving;

/// <summary>
/// The span a ready worker serves, as the network's wire adapters (Petals' handlers, KwaaiNet's inference protocol)
/// see it: one session core, whichever protocol a client speaks. A snapshot: a worker that swaps its span hands out a
/// new one, and sessions opened on this one keep working until they close or the old span is released.
/// </summary>
public sealed class ServedSpan
{
    /// <summary>Creates the snapshot.</summary>
    public ServedSpan(
        string workerId, string model, string? dhtPrefix, LlamaConfig config, string dataType, SpanSessionManager sessions, double? decodeTokensPerSecond)
    {
        ArgumentException.ThrowIfNullOrEmpty(workerId);
        ArgumentException.ThrowIfNullOrEmpty(model);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(dataType);
        ArgumentNullException.ThrowIfNull(sessions);
        WorkerId = workerId;
        Model = model;
        DhtPrefix = dhtPrefix;
        Config = config;
        DataType = dataType;
        Sessions = sessions;
        DecodeTokensPerSecond = decodeTokensPerSecond;
    }

    /// <summary>The worker instance that serves the span.</summary>
    public string WorkerId { get; }

    /// <summary>The model reference the span belongs to (<c>KwaaiNet:Node:model</c> or a <c>ServeSpan</c>'s).</summary>
    public string Model { get; }

    /// <summary>The network map's DHT prefix for the model when the span came from a <c>ServeSpan</c> that named one.</summary>
    public string? DhtPrefix { get; }

    /// <summary>The whole model's shape.</summary>
    public LlamaConfig Config { get; }

    /// <summary>The first block served.</summary>
    public int Start => Sessions.Model.Start;

    /// <summary>One past the last block served.</summary>
    public int End => Sessions.Model.End;

    /// <summary>The span's element type: <c>float32</c> or <c>float16</c>.</summary>
    public string DataType { get; }

    /// <summary>The sessions through the span: open, step, rewind, close.</summary>
    public SpanSessionManager Sessions { get; }

    /// <summary>The measured or cached decode throughput, tokens/s; null while unknown.</summary>
    public double? DecodeTokensPerSecond { get; }
}
