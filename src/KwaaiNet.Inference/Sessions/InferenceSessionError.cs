// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Sessions;

/// <summary>Why a span session refused an operation (the gRPC layer maps each to a status code).</summary>
public enum InferenceSessionError
{
    /// <summary>The KV-cache budget has no room for the requested maximum length.</summary>
    CacheBudgetExceeded,

    /// <summary>The session was closed (by the client, the idle sweep or disposal) or never belonged to this server.</summary>
    SessionClosed,

    /// <summary>The step would take the session past the maximum length it declared when it opened.</summary>
    MaxLengthExceeded,

    /// <summary>The step ran longer than the step timeout and was stopped; the session's KV cache is unchanged.</summary>
    StepTimedOut,
}
