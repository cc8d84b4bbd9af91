// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Contracts.Hosting;

/// <summary>
/// Marks an endpoint as part of the node's public HTTP front. The gateway's public listener serves only endpoints
/// that carry this marker, so internal gRPC, <c>/health</c> and admin endpoints are never reachable from outside.
/// </summary>
public sealed class PublicEndpointMetadata
{
    private PublicEndpointMetadata()
    {
    }

    /// <summary>The one instance.</summary>
    public static PublicEndpointMetadata Instance { get; } = new();
}
