// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.ComponentModel.DataAnnotations;
using KwaaiNet.Contracts.Scaling;

namespace KwaaiNet.Inference.Scaling;

/// <summary>
/// How a worker registers in its pool when Redis is configured, section <c>KwaaiNet:Inference:Registry</c>. The
/// worker's endpoint itself is <see cref="InferenceOptions.AdvertisedAddress"/>.
/// </summary>
public sealed class WorkerRegistryOptions
{
    /// <summary>The pool the worker registers in; the gateway routes to it as <c>pool://{Pool}</c>. Default <c>inference-worker</c>.</summary>
    [Required]
    [RegularExpression(@"^[A-Za-z0-9_.\-]{1,128}$", ErrorMessage = "Pool must be 1 to 128 letters, digits, '.', '_' or '-'.")]
    public string Pool { get; set; } = WorkerRegistryKeys.DefaultPool;

    /// <summary>The worker id. Default: the machine name, the process id and a random suffix (unique per replica).</summary>
    [RegularExpression(@"^[A-Za-z0-9_.\-]{1,128}$", ErrorMessage = "WorkerId must be 1 to 128 letters, digits, '.', '_' or '-'.")]
    public string? WorkerId { get; set; }

    /// <summary>How long an entry lives unless refreshed: a worker that dies without deregistering leaves the pool after it. Default 15 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan Ttl { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the entry (and its open-session count) is rewritten. Default 5 s, a third of <see cref="Ttl"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan RefreshPeriod { get; set; } = TimeSpan.FromSeconds(5);
}
