// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Records;

/// <summary>
/// One server's announcement, the value of a module key (<c>{dht_prefix}.{block}</c>) and of
/// <c>_kwaai.inference.nodes</c>: Petals' <c>ServerInfo</c> (petals <c>data_structures.py</c>) with upstream
/// KwaaiNet's extensions (<c>announce.rs</c> <c>DHTServerInfo</c>). A null property is a field that is absent from
/// the record. <see cref="ServerInfoCodec"/> reads and writes it; docs/records.md §3 lists every field, its msgpack
/// type and where it comes from. Collections compare by reference.
/// </summary>
public sealed record ServerInfo
{
    /// <summary>
    /// The <c>version</c> we announce: the upstream KwaaiNet wire level we implement. Upstream chain discovery drops
    /// records whose version is below 0.3.15 or unparseable (<c>shard_cmd.rs</c> <c>discover_chain</c>).
    /// </summary>
    public const string WireVersion = "kwaai-0.6.2";

    /// <summary>The server's state (tuple element 0).</summary>
    public required ServerState State { get; init; }

    /// <summary>Requests per second the server offers (tuple element 1); finite and non-negative, a float64 on the wire.</summary>
    public required double Throughput { get; init; }

    /// <summary><c>start_block</c>: the first block of the span.</summary>
    public int? StartBlock { get; init; }

    /// <summary><c>end_block</c>: the end of the span, exclusive.</summary>
    public int? EndBlock { get; init; }

    /// <summary><c>public_name</c>: the name on the map; we announce <c>{public_name}/v{product version}</c> (<see cref="FormatPublicName"/>).</summary>
    public string? PublicName { get; init; }

    /// <summary><c>version</c>: we announce <see cref="WireVersion"/>; Petals servers announce their Petals version.</summary>
    public string? Version { get; init; }

    /// <summary><c>network_rps</c> (Petals).</summary>
    public double? NetworkRps { get; init; }

    /// <summary><c>forward_rps</c> (Petals).</summary>
    public double? ForwardRps { get; init; }

    /// <summary><c>inference_rps</c> (Petals; its client's route cost assumes 300 when absent).</summary>
    public double? InferenceRps { get; init; }

    /// <summary><c>torch_dtype</c>: <c>float32</c>, <c>float16</c>, <c>bfloat16</c>.</summary>
    public string? TorchDtype { get; init; }

    /// <summary><c>quant_type</c> (Petals: <c>none</c>, <c>int8</c>, <c>nf4</c>).</summary>
    public string? QuantType { get; init; }

    /// <summary><c>using_relay</c>: whether the server is reachable only through a relay circuit.</summary>
    public bool? UsingRelay { get; init; }

    /// <summary><c>cache_tokens_left</c>: free KV-cache tokens.</summary>
    public long? CacheTokensLeft { get; init; }

    /// <summary><c>adapters</c>: adapter names; upstream KwaaiNet always writes an empty array.</summary>
    public IReadOnlyList<string>? Adapters { get; init; }

    /// <summary><c>next_pings</c>: RTT in seconds to servers of the following blocks, by peer id; upstream KwaaiNet writes an empty map.</summary>
    public IReadOnlyDictionary<string, double>? NextPings { get; init; }

    /// <summary><c>peer_id</c>: the server's peer id in base58 (an upstream KwaaiNet field).</summary>
    public string? PeerId { get; init; }

    /// <summary><c>trust_attestations</c>: Verifiable Credentials as compact JSON (upstream KwaaiNet); empty means absent.</summary>
    public IReadOnlyList<string> TrustAttestations { get; init; } = [];

    /// <summary><c>aspire_carbon</c>: the carbon-tracker's latest sample.</summary>
    public ServerCarbon? Carbon { get; init; }

    /// <summary>
    /// Fields this codec does not know (upstream's <c>lease_v1</c> and <c>vpk</c>, future keys), each as its exact
    /// msgpack bytes, in the order they were read; written back unchanged after the known fields.
    /// </summary>
    public IReadOnlyDictionary<string, ReadOnlyMemory<byte>> UnknownFields { get; init; } =
        new Dictionary<string, ReadOnlyMemory<byte>>();

    /// <summary>The announced <c>public_name</c>: <c>{publicName}/v{productVersion}</c>, as upstream KwaaiNet writes it.</summary>
    public static string FormatPublicName(string publicName, string productVersion)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(publicName);
        ArgumentException.ThrowIfNullOrWhiteSpace(productVersion);
        return $"{publicName}/v{productVersion}";
    }
}
