// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;

namespace KwaaiNet.Inference.OpenAi;

/// <summary>
/// Where a request comes from, for rate limits without API keys. Behind the gateway's public front (a proxy on the same
/// host or private network), the connection comes from the proxy, so the client is the last <c>X-Forwarded-For</c>
/// entry, which the proxy set; a connection from a public address is the client itself, and its header is ignored.
/// </summary>
internal static class ClientPartition
{
    /// <summary>The address a request's rate limit is counted under.</summary>
    public static string Address(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress;
        if (remote is null || IsInternal(remote))
        {
            var forwarded = context.Request.Headers["X-Forwarded-For"].ToString();
            var last = forwarded.AsSpan(forwarded.LastIndexOf(',') + 1).Trim();
            if (IPAddress.TryParse(last, out var client))
            {
                return client.ToString();
            }
        }

        return remote?.ToString() ?? "unknown";
    }

    private static bool IsInternal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // Unique local fc00::/7 and link-local fe80::/10.
            var first = address.GetAddressBytes();
            return (first[0] & 0xFE) == 0xFC || address.IsIPv6LinkLocal;
        }

        var b = address.GetAddressBytes();
        return b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168);
    }
}
