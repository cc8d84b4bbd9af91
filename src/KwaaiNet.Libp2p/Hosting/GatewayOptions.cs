// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.ComponentModel.DataAnnotations;

namespace KwaaiNet.Libp2p.Hosting;

/// <summary>The p2p-gateway's public HTTP front, section <c>KwaaiNet:Gateway</c>.</summary>
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
}
