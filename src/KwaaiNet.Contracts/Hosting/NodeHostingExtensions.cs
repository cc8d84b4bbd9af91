// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Node;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Contracts.Hosting;

/// <summary>Registers the operator's node configuration; every module calls this, and it is idempotent.</summary>
public static class NodeHostingExtensions
{
    /// <summary>Binds and validates <c>KwaaiNet:Node</c> at start (a bad value stops the service with a message naming the key).</summary>
    public static IHostApplicationBuilder AddNodeOptions(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<NodeOptions>().ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<NodeOptions>, NodeOptionsSetup>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NodeOptions>, NodeOptionsValidator>());
        return builder;
    }
}
