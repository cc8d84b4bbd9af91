// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Yarp.ReverseProxy.Configuration;

namespace KwaaiNet.Libp2p.Hosting;

/// <summary>
/// The public HTTP front's YARP routes: <c>/map</c> and <c>/api/v1/state</c> to map-announcer, <c>/v1/*</c> (the
/// OpenAI-compatible API) to the inference-worker pool. Only these paths exist publicly: a backend's
/// <c>/health</c> or gRPC endpoint has no route, so it cannot be reached through the front.
/// </summary>
internal static class PublicRoutes
{
    public const string MapCluster = "map-announcer";
    public const string InferenceCluster = "inference-worker";

    public static IReadOnlyList<RouteConfig> Routes(GatewayOptions options) => options.ProxyToServices
        ?
        [
            new RouteConfig { RouteId = "map-page", ClusterId = MapCluster, Match = new RouteMatch { Path = "/map" } },
            new RouteConfig { RouteId = "map-state", ClusterId = MapCluster, Match = new RouteMatch { Path = "/api/v1/state" } },
            new RouteConfig { RouteId = "openai", ClusterId = InferenceCluster, Match = new RouteMatch { Path = "/v1/{**rest}" } },
        ]
        : [];

    public static IReadOnlyList<ClusterConfig> Clusters(GatewayOptions options) => options.ProxyToServices
        ?
        [
            Cluster(MapCluster, options.MapAnnouncerAddress, options.ProxyActivityTimeout),
            Cluster(InferenceCluster, options.InferenceWorkerAddress, options.ProxyActivityTimeout),
        ]
        : [];

    private static ClusterConfig Cluster(string id, Uri address, TimeSpan activityTimeout) => new()
    {
        ClusterId = id,
        Destinations = new Dictionary<string, DestinationConfig>(StringComparer.Ordinal)
        {
            [id] = new DestinationConfig { Address = address.ToString() },
        },
        HttpRequest = new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig { ActivityTimeout = activityTimeout },
    };
}
