// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.ComponentModel.DataAnnotations;

namespace KwaaiNet.Libp2p.Hosting;

/// <summary>One inbound protocol (or prefix) and the service that serves it.</summary>
public sealed class InboundRoute
{
    /// <summary>The scheme of an address that names a worker pool.</summary>
    public const string PoolScheme = "pool";

    /// <summary>The protocol id, e.g. <c>DHTProtocol.rpc_ping</c>; a trailing <c>*</c> makes it a prefix (<c>DHTProtocol.*</c>).</summary>
    [Required]
    [MaxLength(1024)]
    public string Protocol { get; set; } = string.Empty;

    /// <summary>
    /// The service's gRPC endpoint, resolved by service discovery, e.g. <c>http://_grpc.dht</c>; or a worker pool
    /// registered in Redis, <c>pool://{name}</c> (e.g. <c>pool://inference-worker</c>), whose workers are dialled
    /// directly: each stream stays on one worker, and each remote peer's unary calls of a protocol stay on one worker.
    /// </summary>
    [Required]
    public Uri? Address { get; set; }

    /// <summary>Unary calls (p2pd format) or raw streams.</summary>
    public InboundKind Kind { get; set; } = InboundKind.Unary;

    /// <summary>True when <see cref="Protocol"/> is a prefix.</summary>
    public bool IsPrefix => Protocol.EndsWith('*');

    /// <summary>The protocol id, or the prefix without its <c>*</c>.</summary>
    public string ProtocolOrPrefix => IsPrefix ? Protocol[..^1] : Protocol;

    /// <summary>The pool's name when <see cref="Address"/> is <c>pool://{name}</c>; else null.</summary>
    public string? PoolName => Address is { IsAbsoluteUri: true } address && address.Scheme == PoolScheme ? address.Host : null;
}

/// <summary>How an inbound protocol reaches its service.</summary>
public enum InboundKind
{
    /// <summary>p2pd unary calls, to <c>InboundHandler.HandleUnary</c>.</summary>
    Unary,

    /// <summary>Raw bidirectional streams, to <c>InboundHandler.HandleStream</c>.</summary>
    Stream,
}
