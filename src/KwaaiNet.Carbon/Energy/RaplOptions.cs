// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.ComponentModel.DataAnnotations;

namespace KwaaiNet.Carbon.Energy;

/// <summary>Settings for <see cref="RaplEnergyMeter"/>.</summary>
public sealed class RaplOptions
{
    /// <summary>Where the Linux powercap class lives.</summary>
    public const string DefaultPowercapRoot = "/sys/class/powercap";

    /// <summary>
    /// The powercap root to read zones from. Configurable so that containers can mount the host's
    /// sysfs elsewhere and tests can point at a fake tree.
    /// </summary>
    [Required]
    public string PowercapRoot { get; set; } = DefaultPowercapRoot;
}
