// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;

namespace KwaaiNet.AppHost.Infrastructure;

/// <summary>The gateway's inbound routes (<c>KwaaiNet:Gateway:Inbound</c>), as environment variables.</summary>
internal static class InboundRouteExtensions
{
    /// <summary>Route <paramref name="protocol"/> (a trailing <c>*</c> makes it a prefix) to <paramref name="address"/> (a service or <c>pool://name</c>).</summary>
    public static IResourceBuilder<T> WithInboundRoute<T>(this IResourceBuilder<T> gateway, int index, string protocol, string address, string kind)
        where T : IResourceWithEnvironment
    {
        var prefix = string.Create(CultureInfo.InvariantCulture, $"KwaaiNet__Gateway__Inbound__{index}__");
        return gateway
            .WithEnvironment(prefix + "Protocol", protocol)
            .WithEnvironment(prefix + "Address", address)
            .WithEnvironment(prefix + "Kind", kind);
    }
}
