// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Client;

/// <summary>
/// The distributed client (section <c>KwaaiNet:Client</c>): which model, over which protocol, and Petals' client
/// timeouts and retry policy (petals <c>client/config.py</c> <c>ClientConfig</c>; research petals-protocol.md §11.1).
/// </summary>
public sealed class ClientOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "KwaaiNet:Client";

    /// <summary>
    /// The model's GGUF file, whose embeddings, final norm, LM head and tokenizer the client runs locally. Unset: the
    /// inference-worker's <c>KwaaiNet:Inference:ModelPath</c>.
    /// </summary>
    public string? ModelPath { get; set; }

    /// <summary>The model's dht prefix on the network. Unset: upstream KwaaiNet's prefix of <c>KwaaiNet:Node:model</c>.</summary>
    public string? DhtPrefix { get; set; }

    /// <summary>The wire protocol of the span sessions; Petals' <c>rpc_inference</c> by default.</summary>
    public SpanProtocol Protocol { get; set; } = SpanProtocol.Petals;

    /// <summary>How long opening a session's stream may take (petals <c>connect_timeout</c>: 5 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one step's answer may take (petals <c>request_timeout</c>: 180 s).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(180);

    /// <summary>How long a ping may take (petals <c>ping_timeout</c>: 2 s).</summary>
    public TimeSpan PingTimeout { get; set; } = PeerPings.DefaultTimeout;

    /// <summary>The first ban of a failing server (petals <c>ban_timeout</c>: 15 s); it doubles with each further failure.</summary>
    public TimeSpan BanTimeout { get; set; } = ServerBans.DefaultBaseTime;

    /// <summary>The delay before the second retry of a failed step (petals <c>min_backoff</c>: 1 s); the first retry is immediate.</summary>
    public TimeSpan MinBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between retries (petals <c>max_backoff</c>: 60 s).</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The most retries of one step before the generation fails (petals' default is unbounded; a bound lets a caller
    /// see a dead network as an error).
    /// </summary>
    public int MaxRetries { get; set; } = 10;

    /// <summary>The largest response frame accepted from a server, in bytes (64 MiB).</summary>
    public long MaxResponseBytes { get; set; } = 64L * 1024 * 1024;
}
