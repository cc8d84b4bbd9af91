// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.ComponentModel.DataAnnotations;

namespace KwaaiNet.Petals.Gateway;

/// <summary>The network figure behind the announced throughput (section <c>KwaaiNet:Announcer</c>).</summary>
public sealed class NetworkThroughputOptions
{
    /// <summary>The configuration section, shared with the announcer's other settings.</summary>
    public const string SectionName = "KwaaiNet:Announcer";

    /// <summary>
    /// The node's download rate in megabits per second (10^6 bits/s). When set it is used as is and nothing is
    /// measured; unset (the default), the rate is measured with the bandwidth probe against a connected peer.
    /// </summary>
    [Range(0.001, 1_000_000.0)]
    public double? NetworkMbps { get; set; }
}
