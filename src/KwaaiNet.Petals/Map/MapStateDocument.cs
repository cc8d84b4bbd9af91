// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text.Json.Serialization;

namespace KwaaiNet.Petals.Map;

/// <summary>
/// The <c>/api/v1/state</c> JSON in the shape map.kwaai.ai publishes (KwaaiNetMap <c>map-server/src/snapshot.rs</c>,
/// "a published contract"). Upstream's CLI reads only <c>model_reports</c>; <c>carbon</c> is our addition, and
/// readers of the contract ignore unknown fields.
/// </summary>
public sealed record MapStateDocument(
    [property: JsonPropertyName("bootstrap_states")] IReadOnlyList<string> BootstrapStates,
    [property: JsonPropertyName("model_reports")] IReadOnlyList<MapModelReport> ModelReports,
    [property: JsonPropertyName("num_peers")] int NumPeers,
    [property: JsonPropertyName("num_blocks_covered")] int NumBlocksCovered,
    [property: JsonPropertyName("top_contributors")] IReadOnlyList<MapTopContributor> TopContributors,
    [property: JsonPropertyName("reachability_issues")] IReadOnlyList<MapReachabilityIssue> ReachabilityIssues,
    [property: JsonPropertyName("last_updated")] DateTimeOffset LastUpdated,
    [property: JsonPropertyName("update_period")] double UpdatePeriod,
    [property: JsonPropertyName("update_duration")] double UpdateDuration,
    [property: JsonPropertyName("carbon")] MapCarbonSample? Carbon)
{
    /// <summary>The document before the first crawl: no bootstrap states, models or issues.</summary>
    public static MapStateDocument Empty(DateTimeOffset lastUpdated, TimeSpan updatePeriod) =>
        new([], [], 0, 0, [], [], lastUpdated, updatePeriod.TotalSeconds, 0, null);
}
