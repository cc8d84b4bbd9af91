// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Net;
using System.Net.Sockets;
using KwaaiNet.Contracts.Node;

namespace KwaaiNet.Libp2p;

/// <summary>
/// The addresses the node announces, from configuration: <c>announce_addr</c> wins over <c>public_ip</c>
/// (upstream <c>config.rs</c>); neither set means the node announces only what it learns from peers.
/// </summary>
public static class AnnounceAddresses
{
    /// <summary>The configured announce addresses, as multiaddr text.</summary>
    public static IReadOnlyList<string> From(NodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrWhiteSpace(options.AnnounceAddr))
        {
            return [options.AnnounceAddr];
        }

        if (!string.IsNullOrWhiteSpace(options.PublicIp) && IPAddress.TryParse(options.PublicIp, out var ip))
        {
            var family = ip.AddressFamily == AddressFamily.InterNetworkV6 ? "ip6" : "ip4";
            return [$"/{family}/{ip}/tcp/{options.Port}"];
        }

        return [];
    }
}
