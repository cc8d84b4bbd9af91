// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Runtime.InteropServices;

namespace KwaaiNet.Contracts.Node;

/// <summary>Upstream KwaaiNet's defaults (<c>core/crates/kwaai-cli/src/config.rs</c>).</summary>
public static class NodeDefaults
{
    /// <summary>The two KwaaiNet bootstrap peers: Python hivemind DHT nodes with RSA peer ids.</summary>
    public static readonly IReadOnlyList<string> BootstrapPeers =
    [
        "/dns/bootstrap-1.kwaai.ai/tcp/8000/p2p/QmQhRuheeCLEsVD3RsnknM75gPDDqxAb8DhnWgro7KhaJc",
        "/dns/bootstrap-2.kwaai.ai/tcp/8000/p2p/Qmd3A8N5aQBATe2SYvNikaeCS9CAKN4E86jdCPacZ6RZJY",
    ];

    /// <summary>Upstream's default public name, <c>{USER}-{os}-{arch}</c>.</summary>
    public static string PublicName()
    {
        var user = Environment.UserName;
        var os = OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsMacOS() ? "macos" : OperatingSystem.IsWindows() ? "windows" : "unknown";
        var arch = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "x86_64",
            Architecture.Arm64 => "aarch64",
            var other => other.ToString().ToLowerInvariant(),
        };
        return $"{user}-{os}-{arch}";
    }
}
