// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Configuration;

namespace KwaaiNet.AppHost.Infrastructure;

/// <summary>Passes the operator's <c>KwaaiNet:Node</c> settings from the AppHost's configuration to a service.</summary>
internal static class NodeConfigurationExtensions
{
    private const string Section = "KwaaiNet:Node";

    public static IResourceBuilder<T> WithNodeConfiguration<T>(this IResourceBuilder<T> resource, IConfiguration configuration)
        where T : IResourceWithEnvironment
    {
        foreach (var (key, value) in configuration.GetSection(Section).AsEnumerable(makePathsRelative: true))
        {
            if (value is not null)
            {
                resource.WithEnvironment($"KwaaiNet__Node__{key.Replace(":", "__", StringComparison.Ordinal)}", value);
            }
        }

        return resource;
    }
}
