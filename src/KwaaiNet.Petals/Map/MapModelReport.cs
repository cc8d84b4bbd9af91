// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text.Json.Serialization;

namespace KwaaiNet.Petals.Map;

/// <summary>
/// One model in <c>/api/v1/state</c> (map.kwaai.ai's <c>model_reports[]</c>, KwaaiNetMap <c>snapshot.rs</c>). The
/// KwaaiNet prefix and Petals' <c>-hf</c> variant of one model are merged into one report.
/// </summary>
/// <param name="Name">The model's repository path, e.g. <c>unsloth/Llama-3.1-8B-Instruct</c> (from the repository URL; else the prefix).</param>
/// <param name="ShortName">The last path segment of <paramref name="Name"/>.</param>
/// <param name="DhtPrefix">The model's KwaaiNet prefix (the one without <c>-hf</c> when both were found).</param>
/// <param name="Repository">The <c>_petals.models</c> repository URL.</param>
/// <param name="NumBlocks">The model's block count.</param>
/// <param name="State"><c>healthy</c> when every block has an online server, else <c>broken</c>.</param>
/// <param name="ServerRows">One row per server span, ordered by start block then peer id.</param>
/// <param name="DhtPrefixes">Ours: every prefix merged into this report (e.g. <c>X</c> and <c>X-hf</c>).</param>
/// <param name="BlockCoverage">Ours: per block, how many online servers serve it (length <paramref name="NumBlocks"/>).</param>
public sealed record MapModelReport(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("short_name")] string ShortName,
    [property: JsonPropertyName("dht_prefix")] string DhtPrefix,
    [property: JsonPropertyName("repository")] string Repository,
    [property: JsonPropertyName("num_blocks")] int NumBlocks,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("server_rows")] IReadOnlyList<MapServerRow> ServerRows,
    [property: JsonPropertyName("dht_prefixes")] IReadOnlyList<string> DhtPrefixes,
    [property: JsonPropertyName("block_coverage")] IReadOnlyList<int> BlockCoverage);

/// <summary>
/// One server span of a model (map.kwaai.ai's <c>server_rows[]</c>).
/// </summary>
/// <param name="PeerId">The server's base58 peer id.</param>
/// <param name="ShortPeerId"><c>...</c> and the last 6 characters of the peer id.</param>
/// <param name="ShowPublicName">Whether the map shows the public name (upstream: when one is announced).</param>
/// <param name="State"><c>online</c>, <c>joining</c> or <c>offline</c>.</param>
/// <param name="PeerIpInfo">Location and addresses; the location needs a geo-IP service on the internet and is always null here.</param>
/// <param name="Span">The span and its announced ServerInfo.</param>
/// <param name="PledgeVerified">Ours: true only when the server announced a FiduciaryPledge credential that verifies.</param>
/// <param name="Carbon">Ours: the server's announced <c>aspire_carbon</c> sample, when any.</param>
/// <param name="ExpiresAt">Ours: when the record expires (DHT expiration time).</param>
public sealed record MapServerRow(
    [property: JsonPropertyName("peer_id")] string PeerId,
    [property: JsonPropertyName("short_peer_id")] string ShortPeerId,
    [property: JsonPropertyName("show_public_name")] bool ShowPublicName,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("peer_ip_info")] MapPeerIpInfo PeerIpInfo,
    [property: JsonPropertyName("span")] MapSpan Span,
    [property: JsonPropertyName("pledge_verified")] bool PledgeVerified,
    [property: JsonPropertyName("carbon")] MapServerCarbon? Carbon,
    [property: JsonPropertyName("expires_at")] DateTimeOffset ExpiresAt);

/// <summary>A server's addresses; <paramref name="Location"/> is always null (geo-IP needs the internet).</summary>
public sealed record MapPeerIpInfo(
    [property: JsonPropertyName("location")] object? Location,
    [property: JsonPropertyName("multiaddrs")] IReadOnlyList<string> Multiaddrs);

/// <summary>A server's span (map.kwaai.ai's <c>span</c>): <c>[start, end)</c>.</summary>
public sealed record MapSpan(
    [property: JsonPropertyName("peer_id")] string PeerId,
    [property: JsonPropertyName("start")] int Start,
    [property: JsonPropertyName("end")] int End,
    [property: JsonPropertyName("server_info")] MapServerInfo ServerInfo);

/// <summary>
/// The announced ServerInfo as the map shows it (map.kwaai.ai's <c>server_info</c>): the state as a string, absent
/// optional fields as null, <c>trust_attestations</c> as a count.
/// </summary>
public sealed record MapServerInfo(
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("throughput")] double Throughput,
    [property: JsonPropertyName("start_block")] int StartBlock,
    [property: JsonPropertyName("end_block")] int EndBlock,
    [property: JsonPropertyName("public_name")] string? PublicName,
    [property: JsonPropertyName("version")] string? Version,
    [property: JsonPropertyName("network_rps")] double? NetworkRps,
    [property: JsonPropertyName("forward_rps")] double? ForwardRps,
    [property: JsonPropertyName("inference_rps")] double? InferenceRps,
    [property: JsonPropertyName("torch_dtype")] string? TorchDtype,
    [property: JsonPropertyName("quant_type")] string? QuantType,
    [property: JsonPropertyName("using_relay")] bool? UsingRelay,
    [property: JsonPropertyName("cache_tokens_left")] long? CacheTokensLeft,
    [property: JsonPropertyName("trust_attestations")] int TrustAttestations);

/// <summary>A server's announced <c>aspire_carbon</c> sample.</summary>
public sealed record MapServerCarbon(
    [property: JsonPropertyName("measured")] bool Measured,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("energy_joules")] double? EnergyJoules,
    [property: JsonPropertyName("average_power_watts")] double? AveragePowerWatts,
    [property: JsonPropertyName("recorded_at")] DateTimeOffset RecordedAt);

/// <summary>map.kwaai.ai's <c>top_contributors[]</c>: servers by total announced throughput.</summary>
public sealed record MapTopContributor(
    [property: JsonPropertyName("peer_id")] string PeerId,
    [property: JsonPropertyName("public_name")] string? PublicName,
    [property: JsonPropertyName("throughput")] double Throughput,
    [property: JsonPropertyName("blocks")] int Blocks);

/// <summary>map.kwaai.ai's <c>reachability_issues[]</c>; ours also lists records skipped as malformed.</summary>
public sealed record MapReachabilityIssue(
    [property: JsonPropertyName("peer_id")] string PeerId,
    [property: JsonPropertyName("err")] string Error);
