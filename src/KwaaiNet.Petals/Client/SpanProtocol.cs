// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Client;

/// <summary>The wire protocol the client's span sessions speak.</summary>
public enum SpanProtocol
{
    /// <summary>Petals' <c>TransformerConnectionHandler.rpc_inference</c> (hivemind stream frames).</summary>
    Petals,

    /// <summary>KwaaiNet's <c>/kwaai/inference/1.0.0</c>.</summary>
    Kwaai,
}
