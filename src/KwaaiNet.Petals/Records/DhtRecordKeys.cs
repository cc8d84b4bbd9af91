// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Records;

/// <summary>The fixed DHT keys of docs/records.md §2.</summary>
public static class DhtRecordKeys
{
    /// <summary>The model registry: subkey a dht prefix, value a ModelInfo map (petals <c>ModuleAnnouncerThread</c>; upstream KwaaiNet <c>PETALS_MODELS_KEY</c>).</summary>
    public const string PetalsModels = "_petals.models";

    /// <summary>Upstream KwaaiNet's inference-node registry: subkey a peer id, value a ServerInfo (<c>shard_cmd.rs</c> <c>INFERENCE_NODES_DHT_KEY</c>).</summary>
    public const string KwaaiInferenceNodes = "_kwaai.inference.nodes";

    /// <summary>Upstream KwaaiNet's VPK storage registry (<c>announce.rs</c> <c>VPK_NODES_KEY</c>); read by the map, never written here.</summary>
    public const string KwaaiVpkNodes = "_kwaai.vpk.nodes";
}
