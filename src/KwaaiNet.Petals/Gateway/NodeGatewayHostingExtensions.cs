// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Grpc.Net.Client;
using KwaaiNet.Contracts.Hosting;
using KwaaiNet.Libp2p.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Gateway;

/// <summary>Registers the node's gateway for the modules that need its identity, connections and bandwidth probe.</summary>
public static class NodeGatewayHostingExtensions
{
    /// <summary>The configuration key of the gateway's gRPC address, for a map-announcer in its own process.</summary>
    public const string GatewayAddressKey = NetworkThroughputOptions.SectionName + ":Gateway";

    /// <summary>The default gateway address: the p2p-gateway's HTTP/2 endpoint, resolved by service discovery.</summary>
    public const string DefaultGatewayAddress = "http://_grpc.p2p-gateway";

    /// <summary>
    /// Registers <see cref="INodeGateway"/> and <see cref="NetworkThroughput"/> (with <see cref="NetworkThroughputOptions"/>).
    /// The gateway is the libp2p node in this process when the p2p-gateway module runs here (the embedded node; decided
    /// when first resolved, so AddP2PGateway may come before or after), else the p2p-gateway's gRPC API at
    /// <c>KwaaiNet:Announcer:Gateway</c> (default <c>http://_grpc.p2p-gateway</c>).
    /// </summary>
    public static IHostApplicationBuilder AddNodeGateway(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddNodeOptions();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHttpClient();
        builder.Services.AddOptions<NetworkThroughputOptions>().BindConfiguration(NetworkThroughputOptions.SectionName).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NetworkThroughputOptions>, NetworkThroughputOptionsValidator>());

        var address = new Uri(builder.Configuration[GatewayAddressKey] ?? DefaultGatewayAddress);
        builder.Services.TryAddSingleton<INodeGateway>(sp => sp.GetService<ILocalLibp2pNode>() is { } node
            ? ActivatorUtilities.CreateInstance<LocalNodeGateway>(sp, node)
            : new GrpcNodeGateway(
                new Contracts.Gateway.V1.Gateway.GatewayClient(GrpcChannel.ForAddress(address, new GrpcChannelOptions
                {
                    HttpHandler = sp.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler("node-gateway"),
                    DisposeHttpClient = true,
                })),
                sp.GetRequiredService<ILogger<GrpcNodeGateway>>()));
        builder.Services.TryAddSingleton<NetworkThroughput>();
        return builder;
    }
}
