// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Petals.Records;

namespace KwaaiNet.Petals.Announcing;

/// <summary>
/// The announcer's settings, section <c>KwaaiNet:Announcer</c>. Defaults are upstream KwaaiNet's (docs/records.md §1):
/// records live 360 s and are renewed every 300 s ± 30 s.
/// </summary>
public sealed class AnnouncerOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "KwaaiNet:Announcer";

    /// <summary>Whether the node announces what it serves. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long a record lives in the DHT. Default 360 s.</summary>
    public TimeSpan RecordTtl { get; set; } = AnnounceDefaults.RecordTtl;

    /// <summary>How often records are renewed. Default 300 s; must leave the jitter inside the TTL.</summary>
    public TimeSpan RenewalPeriod { get; set; } = AnnounceDefaults.RenewalPeriod;

    /// <summary>The uniform jitter on <see cref="RenewalPeriod"/>. Default 30 s.</summary>
    public TimeSpan RenewalJitter { get; set; } = AnnounceDefaults.RenewalJitter;

    /// <summary>Whether blocks are also announced under Petals' <c>-hf</c> prefix. Default true.</summary>
    public bool PetalsServing { get; set; } = true;

    /// <summary>
    /// How long a worker may stay silent (no status, no heartbeat) before its span is taken as stopped (a crashed
    /// worker). Default 95 s, three heartbeats and a margin.
    /// </summary>
    public TimeSpan WorkerTimeout { get; set; } = TimeSpan.FromSeconds(95);

    /// <summary>How soon a failed announcement is retried (the DHT or the gateway was not ready). Default 5 s.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the offline records at shutdown may take. Default 5 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
