// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Libp2p.Hosting;

/// <summary>The p2p-gateway: its libp2p host, the routing of inbound protocols, and the public HTTP front; section <c>KwaaiNet:Gateway</c>.</summary>
public sealed class GatewayOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "KwaaiNet:Gateway";

    /// <summary>
    /// Proxy <c>/map</c>, <c>/api/v1/state</c> and <c>/v1/*</c> to the other services. Default true; the embedded
    /// node sets it false because those modules answer in the same process.
    /// </summary>
    public bool ProxyToServices { get; set; } = true;

    /// <summary>The map-announcer's HTTP endpoint, resolved by service discovery. Default <c>http://map-announcer</c>.</summary>
    [Required]
    public Uri MapAnnouncerAddress { get; set; } = new("http://map-announcer");

    /// <summary>The inference-worker pool's HTTP endpoint, resolved by service discovery. Default <c>http://inference-worker</c>.</summary>
    [Required]
    public Uri InferenceWorkerAddress { get; set; } = new("http://inference-worker");

    /// <summary>How long a proxied request may stay silent before it is cut off. Default 100 s (YARP's default).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ProxyActivityTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// The libp2p listen multiaddrs. Empty (the default) listens on <c>/ip4/0.0.0.0/tcp/{port}</c> with the node's
    /// <c>port</c>, as upstream does.
    /// </summary>
    public IList<string> ListenAddresses { get; } = [];

    /// <summary>
    /// Which service serves which inbound libp2p protocol. A protocol ending in <c>*</c> is a prefix. Unary routes
    /// carry p2pd's unary calls (hivemind <c>rpc_*</c> handlers) to the service's <c>InboundHandler.HandleUnary</c>;
    /// stream routes carry raw streams to <c>HandleStream</c>.
    /// </summary>
    [ValidateEnumeratedItems]
    public IList<InboundRoute> Inbound { get; } = [];

    /// <summary>The size cap of a unary request or reply, framing included. Default 4 MiB (p2pd's default).</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int UnaryMaxMessageSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>The longest wait between two dials of an unreachable bootstrap peer. Default 5 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan BootstrapMaxBackoff { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long the gateway reuses its read of a worker pool's live workers (<c>pool://</c> routes). Default 1 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan PoolRefresh { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a remote peer's unary calls of a protocol stay on the same pool worker after its last call (the worker
    /// holds its session's KV cache). Default 10 minutes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan AffinityIdleTimeout { get; set; } = TimeSpan.FromMinutes(10);
}
