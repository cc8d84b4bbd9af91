// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Serving;

/// <summary>The inference-worker's session core, for the wire adapters that serve it to the network.</summary>
public interface IServedSpanProvider
{
    /// <summary>The span served now; null while the worker loads, waits for a span or failed.</summary>
    ServedSpan? Current { get; }

    /// <summary>What the worker is doing when <see cref="Current"/> is null (e.g. "loading blocks [0, 4) of m"), for error messages.</summary>
    string StateDetail { get; }
}
