// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Records;

/// <summary>Upstream KwaaiNet's announcement timing (docs/records.md §1; <c>announce.rs</c> <c>ANNOUNCE_TTL_SECS</c>, <c>node.rs</c>).</summary>
public static class AnnounceDefaults
{
    /// <summary>How long a record lives: 360 s (upstream <c>ANNOUNCE_TTL_SECS = 360.0</c>).</summary>
    public static TimeSpan RecordTtl { get; } = TimeSpan.FromSeconds(360);

    /// <summary>How often records are renewed: every 300 s (upstream), plus or minus <see cref="RenewalJitter"/>.</summary>
    public static TimeSpan RenewalPeriod { get; } = TimeSpan.FromSeconds(300);

    /// <summary>The uniform jitter on <see cref="RenewalPeriod"/>: 30 s (upstream).</summary>
    public static TimeSpan RenewalJitter { get; } = TimeSpan.FromSeconds(30);
}
