// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Hivemind;

/// <summary>
/// Hivemind's DHT time: Unix seconds as a double (<c>hivemind/utils/timed_storage.py::get_dht_time</c>). Expirations
/// travel on the wire in this form (<c>StoreRequest.expiration_time</c>, <c>FindResult.expiration_time</c>).
/// </summary>
public static class DhtTime
{
    /// <summary>
    /// How far apart two nodes' clocks may be (<c>MAX_DHT_TIME_DISCREPANCY_SECONDS</c>): a validating ping rejects a peer
    /// whose <c>dht_time</c> falls outside [request − 3 s, response + 3 s].
    /// </summary>
    public const double MaxDiscrepancySeconds = 3;

    /// <summary>The current DHT time of <paramref name="time"/>.</summary>
    public static double Now(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return ToDhtTime(time.GetUtcNow());
    }

    /// <summary><paramref name="instant"/> as DHT time.</summary>
    public static double ToDhtTime(DateTimeOffset instant) => (instant - DateTimeOffset.UnixEpoch).Ticks / (double)TimeSpan.TicksPerSecond;

    /// <summary>A DHT time as an instant (clamped to the range a <see cref="DateTimeOffset"/> can hold).</summary>
    public static DateTimeOffset ToDateTimeOffset(double dhtTime)
    {
        if (double.IsNaN(dhtTime))
        {
            throw new ArgumentOutOfRangeException(nameof(dhtTime), "a DHT time is not NaN");
        }

        var maxSeconds = (DateTimeOffset.MaxValue - DateTimeOffset.UnixEpoch).TotalSeconds;
        var minSeconds = (DateTimeOffset.MinValue - DateTimeOffset.UnixEpoch).TotalSeconds;
        return DateTimeOffset.UnixEpoch + TimeSpan.FromSeconds(Math.Clamp(dhtTime, minSeconds, maxSeconds));
    }
}
