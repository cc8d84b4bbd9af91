// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Libp2p.Protocols;

/// <summary>One download over the bandwidth protocol: how many bytes arrived and how long they took.</summary>
/// <param name="Bytes">The bytes received (the count asked for).</param>
/// <param name="Elapsed">From sending the request to the last byte.</param>
public readonly record struct BandwidthSample(long Bytes, TimeSpan Elapsed)
{
    /// <summary>The download rate in bits per second; 0 when no time was measured.</summary>
    public double BitsPerSecond => Elapsed > TimeSpan.Zero ? Bytes * 8.0 / Elapsed.TotalSeconds : 0.0;
}
