// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.ComponentModel.DataAnnotations;
using KwaaiNet.Carbon.Energy;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Carbon;

/// <summary>The carbon-tracker's settings, section <c>KwaaiNet:Carbon</c>.</summary>
public sealed class CarbonOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "KwaaiNet:Carbon";

    /// <summary>The RAPL meter, section <c>KwaaiNet:Carbon:Rapl</c> (<c>PowercapRoot</c>, default <c>/sys/class/powercap</c>).</summary>
    [ValidateObjectMembers]
    public RaplOptions Rapl { get; set; } = new();

    /// <summary>How often a sample is taken and published on the bus. Default 15 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan SamplePeriod { get; set; } = TimeSpan.FromSeconds(15);
}
