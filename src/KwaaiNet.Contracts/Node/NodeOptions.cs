// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Configuration;

namespace KwaaiNet.Contracts.Node;

/// <summary>
/// The operator's node configuration, section <c>KwaaiNet:Node</c>. Keys mirror upstream KwaaiNet's
/// <c>config.yaml</c> (<c>core/crates/kwaai-cli/src/config.rs</c>) so that an operator's settings carry over:
/// <c>KwaaiNet__Node__start_block=0</c> as an environment variable, or <c>"start_block": 0</c> in appsettings.
/// </summary>
public sealed class NodeOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "KwaaiNet:Node";

    /// <summary>Upstream's default model (<c>config.rs</c>).</summary>
    public const string DefaultModel = "unsloth/Llama-3.1-8B-Instruct";

    /// <summary>Upstream's default libp2p TCP port (<c>config.rs</c>), kept so that firewall rules carry over.</summary>
    public const int DefaultPort = 8080;

    /// <summary>The model to serve: an Ollama reference (<c>llama3.1:8b</c>) or a Hugging Face repository. Default: <see cref="DefaultModel"/>.</summary>
    [ConfigurationKeyName("model")]
    public string Model { get; set; } = DefaultModel;

    /// <summary>How many transformer blocks this node serves. Default 8 (upstream).</summary>
    [ConfigurationKeyName("blocks")]
    public int Blocks { get; set; } = 8;

    /// <summary>The first block served; null lets the node choose the least-covered span (upstream's three-state key).</summary>
    [ConfigurationKeyName("start_block")]
    public int? StartBlock { get; set; }

    /// <summary>The libp2p TCP listen port. Default 8080 (upstream); 0 picks a free port (tests).</summary>
    [ConfigurationKeyName("port")]
    public int Port { get; set; } = DefaultPort;

    /// <summary>The name shown on the network map, announced as <c>{public_name}/v{version}</c>. Default <c>{user}-{os}-{arch}</c>.</summary>
    [ConfigurationKeyName("public_name")]
    public string? PublicName { get; set; }

    /// <summary>The public IPv4 or IPv6 address to announce as <c>/ip4/{ip}/tcp/{port}</c>.</summary>
    [ConfigurationKeyName("public_ip")]
    public string? PublicIp { get; set; }

    /// <summary>A full multiaddr to announce; wins over <see cref="PublicIp"/> (upstream).</summary>
    [ConfigurationKeyName("announce_addr")]
    public string? AnnounceAddr { get; set; }

    /// <summary>
    /// Bootstrap peers as <c>/…/p2p/{peer id}</c> multiaddrs. Absent: the two KwaaiNet bootstrap peers.
    /// An empty string or <c>none</c> means no peers (tests and benchmarks: nothing leaves the machine).
    /// </summary>
    [ConfigurationKeyName("initial_peers")]
    public IReadOnlyList<string> InitialPeers { get; internal set; } = NodeDefaults.BootstrapPeers;

    /// <summary>Use a GPU execution provider when one is available. Default true (upstream).</summary>
    [ConfigurationKeyName("use_gpu")]
    public bool UseGpu { get; set; } = true;

    /// <summary>
    /// Path of the libp2p identity key (protobuf-encoded private key, upstream's <c>identity.key</c> format).
    /// Absent: <c>{home}/identity.key</c>, generated on first start. Set: the file must exist (upstream does not generate it).
    /// </summary>
    [ConfigurationKeyName("identity_key")]
    public string? IdentityKey { get; set; }

    /// <summary>
    /// Path of the operator's GliaNet FiduciaryPledge credential (a W3C Verifiable Credential JSON file whose <c>type</c>
    /// contains <c>FiduciaryPledgeVC</c>, upstream's <c>kwaai-trust</c> format), announced in <c>trust_attestations</c>.
    /// Absent: no pledge is announced. Set: the file must exist and hold such a credential, or the announcer does not start.
    /// </summary>
    [ConfigurationKeyName("fiduciary_pledge")]
    public string? FiduciaryPledge { get; set; }

    /// <summary>The node's data folder, upstream's <c>$KWAAINET_HOME</c>. Default <c>~/.kwaainet</c>.</summary>
    [ConfigurationKeyName("home")]
    public string? Home { get; set; }

    /// <summary>The data folder in effect.</summary>
    public string EffectiveHome =>
        string.IsNullOrWhiteSpace(Home)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kwaainet")
            : Home;

    /// <summary>The identity key path in effect, and whether the node may create it.</summary>
    public (string Path, bool MayCreate) EffectiveIdentityKey =>
        string.IsNullOrWhiteSpace(IdentityKey)
            ? (System.IO.Path.Combine(EffectiveHome, "identity.key"), true)
            : (IdentityKey, false);

    /// <summary>The public name in effect.</summary>
    public string EffectivePublicName =>
        string.IsNullOrWhiteSpace(PublicName) ? NodeDefaults.PublicName() : PublicName;
}
