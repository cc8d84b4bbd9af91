// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.ComponentModel.DataAnnotations;

namespace KwaaiNet.Petals.Map;

/// <summary>The map crawler's settings, section <c>KwaaiNet:Map</c> (the announcer has its own section).</summary>
public sealed class MapOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "KwaaiNet:Map";

    /// <summary>
    /// How often the DHT is crawled into the map; <c>update_period</c> of <c>/api/v1/state</c>. Default 60 s, the map
    /// service's <c>UPDATE_PERIOD</c> (KwaaiNetMap, a fork of health.petals.dev) and Petals' client <c>update_period</c>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan CrawlPeriod { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How many DHT gets of block keys a crawl runs at a time. Default 8: a model of 32 blocks under two prefixes is
    /// 64 gets, each a beam search of its own.
    /// </summary>
    [Range(1, 64)]
    public int MaxConcurrentGets { get; set; } = 8;
}
