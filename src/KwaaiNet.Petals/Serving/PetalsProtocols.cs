// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Serving;

/// <summary>
/// The libp2p protocol ids of Petals' <c>TransformerConnectionHandler</c>: hivemind's handle names used verbatim, with
/// no leading <c>/</c> (<c>hivemind/p2p/servicer.py</c>; research petals-protocol.md §1.2).
/// </summary>
public static class PetalsProtocols
{
    /// <summary>Unary <c>ExpertUID</c> → <c>ExpertInfo</c>: the schemas, version and free cache.</summary>
    public const string Info = "TransformerConnectionHandler.rpc_info";

    /// <summary>Unary <c>ExpertRequest</c> → <c>ExpertResponse</c>: a forward pass without a cache.</summary>
    public const string Forward = "TransformerConnectionHandler.rpc_forward";

    /// <summary>Stream: a forward pass whose tensors travel in parts.</summary>
    public const string ForwardStream = "TransformerConnectionHandler.rpc_forward_stream";

    /// <summary>Unary backward pass (training); answered with an error, training is not served.</summary>
    public const string Backward = "TransformerConnectionHandler.rpc_backward";

    /// <summary>Stream backward pass (training); answered with an error frame, training is not served.</summary>
    public const string BackwardStream = "TransformerConnectionHandler.rpc_backward_stream";

    /// <summary>Stream: an inference session, one request and one response per step.</summary>
    public const string Inference = "TransformerConnectionHandler.rpc_inference";

    /// <summary>Unary: a server delivers a step into a running session of this server.</summary>
    public const string Push = "TransformerConnectionHandler.rpc_push";

    /// <summary>The protocols served as p2pd unary calls.</summary>
    public static IReadOnlyList<string> Unary { get; } = [Info, Forward, Backward, Push];

    /// <summary>The protocols served as raw streams with hivemind framing.</summary>
    public static IReadOnlyList<string> Streams { get; } = [Inference, ForwardStream, BackwardStream];
}
