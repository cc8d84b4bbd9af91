// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Configuration;

namespace KwaaiNet.AppHost.Infrastructure;

/// <summary>Passes the operator's settings from the AppHost's configuration to a service, as environment variables.</summary>
internal static class NodeConfigurationExtensions
{
    private const string NodeSection = "KwaaiNet:Node";

    /// <summary>The <c>KwaaiNet:Node</c> settings, which every service reads.</summary>
    public static IResourceBuilder<T> WithNodeConfiguration<T>(this IResourceBuilder<T> resource, IConfiguration configuration)
        where T : IResourceWithEnvironment =>
        resource.WithConfigurationSection(configuration, NodeSection);

    /// <summary>Every value under <paramref name="section"/> (e.g. <c>KwaaiNet:Inference</c> for the workers).</summary>
    public static IResourceBuilder<T> WithConfigurationSection<T>(this IResourceBuilder<T> resource, IConfiguration configuration, string section)
        where T : IResourceWithEnvironment
    {
        var prefix = section.Replace(":", "__", StringComparison.Ordinal);
        foreach (var (key, value) in configuration.GetSection(section).AsEnumerable(makePathsRelative: true))
        {
            if (value is not null)
            {
                resource.WithEnvironment($"{prefix}__{key.Replace(":", "__", StringComparison.Ordinal)}", value);
            }
        }

        return resource;
    }
}
