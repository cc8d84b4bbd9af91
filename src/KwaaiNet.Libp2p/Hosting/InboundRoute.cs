// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.ComponentModel.DataAnnotations;

namespace KwaaiNet.Libp2p.Hosting;

/// <summary>One inbound protocol (or prefix) and the service that serves it.</summary>
public sealed class InboundRoute
{
    /// <summary>The protocol id, e.g. <c>DHTProtocol.rpc_ping</c>; a trailing <c>*</c> makes it a prefix (<c>DHTProtocol.*</c>).</summary>
    [Required]
    [MaxLength(1024)]
    public string Protocol { get; set; } = string.Empty;

    /// <summary>The service's gRPC endpoint, resolved by service discovery, e.g. <c>http://_grpc.dht</c>.</summary>
    [Required]
    public Uri? Address { get; set; }

    /// <summary>Unary calls (p2pd format) or raw streams.</summary>
    public InboundKind Kind { get; set; } = InboundKind.Unary;

    /// <summary>True when <see cref="Protocol"/> is a prefix.</summary>
    public bool IsPrefix => Protocol.EndsWith('*');

    /// <summary>The protocol id, or the prefix without its <c>*</c>.</summary>
    public string ProtocolOrPrefix => IsPrefix ? Protocol[..^1] : Protocol;
}

/// <summary>How an inbound protocol reaches its service.</summary>
public enum InboundKind
{
    /// <summary>p2pd unary calls, to <c>InboundHandler.HandleUnary</c>.</summary>
    Unary,

    /// <summary>Raw bidirectional streams, to <c>InboundHandler.HandleStream</c>.</summary>
    Stream,
}
