// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.ComponentModel.DataAnnotations;

namespace KwaaiNet.Inference.Sessions;

/// <summary>Limits of the span sessions one server holds (Petals' <c>session_timeout</c>, <c>step_timeout</c> and cache size).</summary>
public sealed class SpanSessionOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = InferenceOptions.SectionName + ":Sessions";

    /// <summary>
    /// Bytes of KV cache all open sessions may reserve together; a session reserves its declared maximum length times
    /// <see cref="SpanModel.BytesPerToken"/> when it opens. Default 1 GiB.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long KvCacheBudgetBytes { get; set; } = 1L << 30;

    /// <summary>
    /// A session unused this long is closed by <see cref="SpanSessionManager.SweepIdle"/>, which a timer runs every half
    /// of it. Default 30 minutes, Petals' <c>session_timeout</c> (<c>petals/server/server.py</c>); <see cref="Timeout.InfiniteTimeSpan"/> turns it off.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// The longest one step may run before ONNX Runtime is told to stop it. Default 5 minutes, Petals'
    /// <c>step_timeout</c> (<c>petals/server/server.py</c>); <see cref="Timeout.InfiniteTimeSpan"/> turns it off.
    /// </summary>
    public TimeSpan StepTimeout { get; set; } = TimeSpan.FromMinutes(5);
}
