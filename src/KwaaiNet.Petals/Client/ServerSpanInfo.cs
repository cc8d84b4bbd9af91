// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Petals.Records;

namespace KwaaiNet.Petals.Client;

/// <summary>
/// One server's span of a model as the client routes over it (petals <c>RemoteSpanInfo</c> with its
/// <c>ServerInfo</c>): read from the DHT block records by <see cref="ServerSpanSource"/>.
/// </summary>
/// <param name="PeerId">The server's base58 peer id.</param>
/// <param name="Start">The first block it serves.</param>
/// <param name="End">One past the last block it serves.</param>
/// <param name="Throughput">Its announced throughput (requests per second).</param>
/// <param name="InferenceRps">Its announced <c>inference_rps</c>; null when absent (the router assumes 300).</param>
/// <param name="CacheTokensLeft">Its announced free KV-cache tokens; null when absent (never penalised).</param>
/// <param name="NextPings">Its announced RTTs in seconds to the servers of the following blocks, by peer id.</param>
/// <param name="State">Its announced state; the router uses only <see cref="ServerState.Online"/> servers.</param>
public sealed record ServerSpanInfo(
    string PeerId,
    int Start,
    int End,
    double Throughput,
    double? InferenceRps,
    long? CacheTokensLeft,
    IReadOnlyDictionary<string, double> NextPings,
    ServerState State)
{
    /// <summary>The number of blocks in the span.</summary>
    public int Length => End - Start;

    /// <summary>The span of <paramref name="record"/>, whose <c>start_block</c> and <c>end_block</c> are set.</summary>
    public static ServerSpanInfo From(ServerRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var info = record.Info;
        return new ServerSpanInfo(
            record.PeerId,
            info.StartBlock ?? throw new ArgumentException("the record has no start_block", nameof(record)),
            info.EndBlock ?? throw new ArgumentException("the record has no end_block", nameof(record)),
            info.Throughput,
            info.InferenceRps,
            info.CacheTokensLeft,
            info.NextPings ?? new Dictionary<string, double>(),
            info.State);
    }
}
