// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Contracts.Messages;

/// <summary>
/// The map-announcer's command to the node's inference-workers: serve blocks [<paramref name="StartBlock"/>,
/// <paramref name="EndBlock"/>) of <paramref name="Model"/>. A worker loads the span, persists the choice in its home
/// folder so that a restart resumes it, and reports through <see cref="WorkerSpanStatus"/>. Explicit configuration
/// (<c>KwaaiNet:Node:start_block</c>) overrides it: such a worker ignores the command and logs why.
/// </summary>
/// <param name="Model">The model reference to serve (an Ollama reference or a Hugging Face repository).</param>
/// <param name="StartBlock">The first block.</param>
/// <param name="EndBlock">One past the last block.</param>
/// <param name="DhtPrefix">The map's <c>dht_prefix</c> for the model when it was chosen from the map; else null.</param>
/// <param name="Repository">The map's repository for the model when it was chosen from the map; else null.</param>
/// <param name="Reason">Why this span was chosen, for the log (e.g. "blocks 4..8 had the least throughput").</param>
/// <param name="IssuedAt">When the command was issued; a worker ignores a command older than the one it follows.</param>
public sealed record ServeSpan(
    string Model,
    int StartBlock,
    int EndBlock,
    string? DhtPrefix,
    string? Repository,
    string Reason,
    DateTimeOffset IssuedAt);
