// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Reflection;

namespace KwaaiNet.Libp2p;

/// <summary>The identify agent version, <c>kwaainet-aspire/&lt;product version&gt;</c>.</summary>
public static class AgentVersion
{
    /// <summary>The value announced to peers.</summary>
    public static string Value { get; } = "kwaainet-aspire/" + ProductVersion;

    /// <summary>The product version from Directory.Build.props (without the source revision suffix).</summary>
    public static string ProductVersion { get; } =
        (typeof(AgentVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0")
        .Split('+')[0];
}
