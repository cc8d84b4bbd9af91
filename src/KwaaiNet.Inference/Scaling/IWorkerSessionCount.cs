// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Scaling;

/// <summary>The sessions a worker holds now, as its registry entry reports them (the gateway sends new sessions to the least loaded worker).</summary>
public interface IWorkerSessionCount
{
    /// <summary>The open sessions (KV caches in use).</summary>
    int OpenSessions { get; }
}
