// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Hosting;

/// <summary>Where the worker's model is.</summary>
internal enum WorkerState
{
    /// <summary>Finding the file, reading weights, building the span.</summary>
    Loading,

    /// <summary>No span yet: no <c>start_block</c>, no <c>serving.json</c>, and no <c>ServeSpan</c> so far.</summary>
    Waiting,

    /// <summary>Serving the span.</summary>
    Ready,

    /// <summary>No model file, or loading failed; nothing is served.</summary>
    Failed,
}
