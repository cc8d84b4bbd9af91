// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Client;

/// <summary>Reads the online servers of a model: its dht prefix and block count in, its servers out.</summary>
public delegate Task<IReadOnlyList<ServerSpanInfo>> ServerSpanReader(string dhtPrefix, int blockCount, CancellationToken cancellationToken);

/// <summary>
/// Petals' sequence manager for inference: reads the model's online servers, pings the ones it has no RTT for, leaves
/// out banned servers (unless only banned ones cover a block, as petals does), and routes with
/// <see cref="SequenceRouter"/>. Failures and successes go to <see cref="Bans"/>.
/// </summary>
public sealed class RouteFinder
{
    private readonly ServerSpanReader _readServers;
    private readonly PeerPings? _pings;

    /// <summary>Creates the finder.</summary>
    /// <param name="readServers">Reads the servers (the DHT's <see cref="ServerSpanSource.ReadAsync"/>).</param>
    /// <param name="bans">The banned servers.</param>
    /// <param name="pings">The client's RTTs; null to route with every RTT unknown.</param>
    public RouteFinder(ServerSpanReader readServers, ServerBans bans, PeerPings? pings)
    {
        ArgumentNullException.ThrowIfNull(readServers);
        ArgumentNullException.ThrowIfNull(bans);
        _readServers = readServers;
        Bans = bans;
        _pings = pings;
    }

    /// <summary>The servers not routed to for now.</summary>
    public ServerBans Bans { get; }

    /// <summary>The lowest-latency route over blocks [<paramref name="start"/>, <paramref name="end"/>) of the model.</summary>
    /// <exception cref="RouteNotFoundException">No online servers cover the range.</exception>
    public async Task<IReadOnlyList<RouteSpan>> FindAsync(
        string dhtPrefix, int blockCount, int start, int end, long cacheTokensNeeded, CancellationToken cancellationToken)
    {
        var servers = await _readServers(dhtPrefix, blockCount, cancellationToken);
        var candidates = servers.Where(s => s.Start < end && s.End > start).ToList();
        if (_pings is not null)
        {
            await _pings.PingMissingAsync(candidates.Select(static s => s.PeerId), cancellationToken);
        }

        var rtts = _pings?.Snapshot() ?? new Dictionary<string, double>();
        var banned = Bans.Banned();
        try
        {
            return SequenceRouter.MakeSequence(candidates, start, end, rtts, cacheTokensNeeded, banned);
        }
        catch (RouteNotFoundException) when (banned.Count > 0)
        {
            // Petals drops banned servers only where that leaves every block a server (sequence_manager.py _update).
            return SequenceRouter.MakeSequence(candidates, start, end, rtts, cacheTokensNeeded);
        }
    }
}
