// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Identity;

namespace KwaaiNet.Petals.Records;

/// <summary>
/// What this node serves and says about itself: the input of <see cref="AnnouncementRecords"/> (docs/records.md §2–4).
/// </summary>
public sealed record AnnouncedNode
{
    /// <summary>The model: a Hugging Face repository such as <c>unsloth/Llama-3.1-8B-Instruct</c>.</summary>
    public required string Model { get; init; }

    /// <summary>The map's <c>dht_prefix</c> for the model, when the model was chosen from the map; else null.</summary>
    public string? MapDhtPrefix { get; init; }

    /// <summary>
    /// The <c>repository</c> of the <c>_petals.models</c> entry: the map's repository when the model was chosen from
    /// the map; null for <see cref="ModelInfo.HuggingFaceRepository"/> of <see cref="Model"/>.
    /// </summary>
    public string? Repository { get; init; }

    /// <summary>The model's layer count (<c>num_blocks</c>).</summary>
    public required int TotalBlocks { get; init; }

    /// <summary>The spans this node's workers serve, at least one; they may overlap.</summary>
    public required IReadOnlyList<ServedSpan> Spans { get; init; }

    /// <summary>The node's libp2p peer id: the subkey of its records and their <c>peer_id</c> field, in base58.</summary>
    public required PeerId PeerId { get; init; }

    /// <summary>The node's name on the map, without the version (e.g. <c>alice-linux-x64</c>).</summary>
    public required string PublicName { get; init; }

    /// <summary>This product's version, announced in <c>public_name</c> as <c>{PublicName}/v{ProductVersion}</c>.</summary>
    public required string ProductVersion { get; init; }

    /// <summary><c>using_relay</c>: true when the node is reachable only through a relay circuit.</summary>
    public bool UsingRelay { get; init; }

    /// <summary>The FiduciaryPledge credential as compact JSON, the single element of <c>trust_attestations</c>; null when not configured.</summary>
    public string? PledgeAttestation { get; init; }

    /// <summary>The carbon-tracker's latest sample, announced under <c>aspire_carbon</c>; null when there is none.</summary>
    public ServerCarbon? Carbon { get; init; }

    /// <summary>Whether the blocks are also announced under Petals' <c>-hf</c> prefix (on by default).</summary>
    public bool PetalsServing { get; init; } = true;
}
