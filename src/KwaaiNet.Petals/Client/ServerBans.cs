// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Client;

/// <summary>
/// The servers the client does not route to for a while after a failure (hivemind <c>dht/node.py</c> <c>Blacklist</c>,
/// used by petals' <c>on_request_failure</c>; research petals-protocol.md §11.5): a failure bans a server for
/// <c>base · 2^k</c>, k being its failures since its last success; a failure while it is banned neither extends the ban
/// nor counts; a success lifts the ban and resets k. Thread-safe.
/// </summary>
public sealed class ServerBans
{
    /// <summary>The first ban's length (petals <c>ClientConfig.ban_timeout</c>: 15 s).</summary>
    public static readonly TimeSpan DefaultBaseTime = TimeSpan.FromSeconds(15);

    /// <summary>The longest ban; the exponent stops growing here.</summary>
    private static readonly TimeSpan MaxBan = TimeSpan.FromDays(1);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, (DateTimeOffset Until, int Failures)> _peers = new(StringComparer.Ordinal);
    private readonly TimeSpan _baseTime;
    private readonly TimeProvider _time;

    /// <summary>Creates the ban list.</summary>
    /// <param name="baseTime">The first ban's length; zero turns banning off (as hivemind's <c>base_time = 0</c>).</param>
    /// <param name="timeProvider">The clock.</param>
    public ServerBans(TimeSpan baseTime, TimeProvider timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(baseTime, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _baseTime = baseTime;
        _time = timeProvider;
    }

    /// <summary>Records a failure of <paramref name="peerId"/>; returns how long it is banned from now (zero when it already was, or banning is off).</summary>
    public TimeSpan RegisterFailure(string peerId)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        if (_baseTime == TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var now = _time.GetUtcNow();
        lock (_lock)
        {
            var failures = 0;
            if (_peers.TryGetValue(peerId, out var held))
            {
                if (held.Until > now)
                {
                    return TimeSpan.Zero;
                }

                failures = held.Failures;
            }

            var ban = TimeSpan.FromTicks((long)Math.Min(_baseTime.Ticks * Math.Pow(2, failures), MaxBan.Ticks));
            _peers[peerId] = (now + ban, failures + 1);
            return ban;
        }
    }

    /// <summary>Records a success of <paramref name="peerId"/>: its ban is lifted and its failures forgotten.</summary>
    public void RegisterSuccess(string peerId)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        lock (_lock)
        {
            _peers.Remove(peerId);
        }
    }

    /// <summary>Whether <paramref name="peerId"/> is banned now.</summary>
    public bool IsBanned(string peerId)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            return _peers.TryGetValue(peerId, out var held) && held.Until > now;
        }
    }

    /// <summary>The servers banned now.</summary>
    public IReadOnlySet<string> Banned()
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            return _peers.Where(p => p.Value.Until > now).Select(static p => p.Key).ToHashSet(StringComparer.Ordinal);
        }
    }
}
