// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using Google.Protobuf;
using KwaaiNet.Hivemind.Protocol;
using KwaaiNet.Hivemind.Wire;
using KwaaiNet.Petals.Gateway;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Petals.Client;

/// <summary>
/// The client's RTTs to servers (petals <c>utils/ping.py</c>, <c>PingAggregator</c>; research petals-protocol.md §11.3):
/// each server is pinged with hivemind's <c>DHTProtocol.rpc_ping</c> unary call through the node's gateway (an empty
/// <c>PingRequest</c>: the client has no DHT node id to hand out), the wall-clock time around the call is one sample,
/// and samples are smoothed with an exponential moving average (α = <see cref="Alpha"/>) that expires after
/// <see cref="Expiration"/>. A server that answers "protocol not supported" is reachable (Petals counts its RTT); any
/// other failure is an infinite RTT. Thread-safe.
/// </summary>
public sealed class PeerPings
{
    /// <summary>The weight of a new sample (petals <c>PingAggregator(ema_alpha=0.2)</c>).</summary>
    public const double Alpha = 0.2;

    /// <summary>How long a smoothed RTT stays valid (petals <c>PingAggregator(expiration=300)</c>).</summary>
    public static readonly TimeSpan Expiration = TimeSpan.FromSeconds(300);

    /// <summary>Petals' default <c>ping_timeout</c> (2 s).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(2);

    private static readonly string PingProtocol = DhtProtocol.HandlerName(null, "rpc_ping");
    private static readonly byte[] PingRequestBytes = new PingRequest().ToByteArray();

    private readonly Lock _lock = new();
    private readonly Dictionary<string, (double Rtt, DateTimeOffset At)> _rtts = new(StringComparer.Ordinal);
    private readonly INodeGateway? _gateway;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the aggregator; without a gateway nothing is pinged and every RTT stays unknown.</summary>
    public PeerPings(INodeGateway? gateway, TimeSpan timeout, TimeProvider timeProvider, ILogger<PeerPings> logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _gateway = gateway;
        _timeout = timeout;
        _time = timeProvider;
        _logger = logger;
    }

    /// <summary>Adds one RTT sample in seconds (∞ for an unreachable server) to <paramref name="peerId"/>'s average.</summary>
    public void Record(string peerId, double rtt)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        ArgumentOutOfRangeException.ThrowIfNegative(rtt);
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            // An infinite sample replaces the average (EMA with ∞ is ∞ anyway); a finite one after ∞ starts afresh.
            var smoothed = _rtts.TryGetValue(peerId, out var held) && now - held.At < Expiration && double.IsFinite(held.Rtt)
                ? (Alpha * rtt) + ((1 - Alpha) * held.Rtt)
                : rtt;
            _rtts[peerId] = (smoothed, now);
        }
    }

    /// <summary>The unexpired smoothed RTTs in seconds, by peer id.</summary>
    public IReadOnlyDictionary<string, double> Snapshot()
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            return _rtts.Where(p => now - p.Value.At < Expiration).ToDictionary(static p => p.Key, static p => p.Value.Rtt, StringComparer.Ordinal);
        }
    }

    /// <summary>Pings each of <paramref name="peerIds"/> that has no unexpired RTT yet, all at once.</summary>
    public async Task PingMissingAsync(IEnumerable<string> peerIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peerIds);
        if (_gateway is null)
        {
            return;
        }

        var known = Snapshot();
        await Task.WhenAll(peerIds.Distinct(StringComparer.Ordinal).Where(p => !known.ContainsKey(p)).Select(p => PingAsync(p, cancellationToken)));
    }

    /// <summary>Pings <paramref name="peerId"/> once and records the sample; returns it in seconds (∞ when unreachable).</summary>
    public async Task<double> PingAsync(string peerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        if (_gateway is null)
        {
            return double.PositiveInfinity;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        var started = Stopwatch.GetTimestamp();
        double rtt;
        try
        {
            await _gateway.CallUnaryAsync(peerId, PingProtocol, PingRequestBytes, timeout.Token);
            rtt = Stopwatch.GetElapsedTime(started).TotalSeconds;
        }
        catch (PeerCallException ex) when (ex.RemoteError == "protocol not supported")
        {
            // Petals' ping(): this exact text means the peer answered, without a DHT (utils/ping.py).
            rtt = Stopwatch.GetElapsedTime(started).TotalSeconds;
        }
        catch (Exception ex) when (ex is PeerCallException or GatewayUnavailableException or ArgumentException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            _logger.PingFailed(peerId, ex.Message);
            rtt = double.PositiveInfinity;
        }

        Record(peerId, rtt);
        return rtt;
    }
}
