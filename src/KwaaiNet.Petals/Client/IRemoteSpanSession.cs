// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Client;

/// <summary>
/// An inference session on one server over a span of blocks, whatever the wire protocol (Petals' <c>rpc_inference</c>,
/// KwaaiNet's <c>/kwaai/inference/1.0.0</c>): each step sends hidden states for new tokens and gets the span's output
/// for them back, the server keeping the attention cache between steps. Steps are batch 1 and sequential.
/// Disposing it ends the session on the server.
/// </summary>
public interface IRemoteSpanSession : IAsyncDisposable
{
    /// <summary>The server and its blocks.</summary>
    RouteSpan Span { get; }

    /// <summary>
    /// Runs <paramref name="tokens"/> tokens through the span: <paramref name="hiddenStates"/> is
    /// <c>[tokens, hidden]</c> row-major fp32, written at cache positions [<paramref name="position"/>,
    /// <paramref name="position"/> + <paramref name="tokens"/>) (a position below the session's length rolls back,
    /// as Petals' <c>start_from_position</c>). Returns the span's output, the same shape.
    /// </summary>
    /// <exception cref="RemoteSpanException">The server answered with an error, broke the protocol, or did not answer in time.</exception>
    Task<float[]> StepAsync(float[] hiddenStates, int tokens, int position, CancellationToken cancellationToken);
}
