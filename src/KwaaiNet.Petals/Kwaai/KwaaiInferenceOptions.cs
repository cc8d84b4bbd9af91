// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Kwaai;

/// <summary>The <c>/kwaai/inference/1.0.0</c> server's settings, section <c>KwaaiNet:KwaaiInference</c>.</summary>
public sealed class KwaaiInferenceOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "KwaaiNet:KwaaiInference";

    /// <summary>
    /// A session unused this long is closed and its KV cache freed. Default 600 s, upstream's idle collection of shard
    /// sessions (<c>TransformerShard::gc_sessions</c>, <c>core/crates/kwaai-inference/src/shard.rs</c>).
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(600);

    /// <summary>
    /// The most sessions one peer may hold open at once; a further new session is refused until one expires. Default 16.
    /// Upstream has no cap: any <c>session_id</c> opens a cache.
    /// </summary>
    public int MaxSessionsPerPeer { get; set; } = 16;

    /// <summary>
    /// The tokens a session may hold, reserved in the worker's KV-cache budget when it opens (upstream's requests declare
    /// no length), capped by the span's positions. Default 2,048.
    /// </summary>
    public int SessionMaxLength { get; set; } = 2048;

    /// <summary>The most tokens one request may carry. Default 2,048.</summary>
    public int MaxTokensPerRequest { get; set; } = 2048;
}
