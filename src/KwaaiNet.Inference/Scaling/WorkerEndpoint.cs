// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace KwaaiNet.Inference.Scaling;

/// <summary>Which address a worker registers as its own gRPC endpoint.</summary>
public static class WorkerEndpoint
{
    /// <summary>
    /// The configured <paramref name="advertised"/> address when set; else the Kestrel <c>grpc</c> endpoint's URL
    /// (<paramref name="configuredGrpcUrl"/>) when it names a port; else the bound address on that URL's port, or the
    /// first bound address. A wildcard host (<c>0.0.0.0</c>, <c>[::]</c>, <c>+</c>, <c>*</c>) becomes
    /// <paramref name="wildcardHost"/>. Null when nothing is known.
    /// </summary>
    public static Uri? Resolve(Uri? advertised, string? configuredGrpcUrl, IReadOnlyList<string> boundAddresses, string wildcardHost)
    {
        ArgumentNullException.ThrowIfNull(boundAddresses);
        if (advertised is not null)
        {
            return advertised;
        }

        var configured = Parse(configuredGrpcUrl);
        if (configured is { Port: > 0 })
        {
            return WithHost(configured, wildcardHost);
        }

        Uri? first = null;
        foreach (var address in boundAddresses)
        {
            var bound = Parse(address);
            if (bound is null)
            {
                continue;
            }

            if (configured is null || configured.Port == 0 || bound.Port == configured.Port)
            {
                first ??= bound;
            }
        }

        return first is null ? null : WithHost(first, wildcardHost);
    }

    /// <summary>This machine's first non-loopback IPv4 address that is up, else <c>127.0.0.1</c>: what other machines can dial.</summary>
    public static string MachineAddress()
    {
        try
        {
            foreach (var network in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (network.OperationalStatus != OperationalStatus.Up || network.NetworkInterfaceType == NetworkInterfaceType.Loopback)
                {
                    continue;
                }

                foreach (var unicast in network.GetIPProperties().UnicastAddresses)
                {
                    if (unicast.Address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(unicast.Address))
                    {
                        return unicast.Address.ToString();
                    }
                }
            }
        }
        catch (NetworkInformationException)
        {
            // No interface list on this platform: loopback is the best guess.
        }

        return "127.0.0.1";
    }

    private static Uri? Parse(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return null;
        }

        // Kestrel's wildcards are not valid URI hosts.
        var text = url.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal);
        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) ? uri : null;
    }

    private static Uri WithHost(Uri uri, string wildcardHost) =>
        uri.Host is "0.0.0.0" or "[::]" ? new UriBuilder(uri.Scheme, wildcardHost, uri.Port).Uri : new UriBuilder(uri.Scheme, uri.Host, uri.Port).Uri;
}
