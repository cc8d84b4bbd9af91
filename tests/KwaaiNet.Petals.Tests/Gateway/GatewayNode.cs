// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Petals.Gateway;
using KwaaiNet.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace KwaaiNet.Petals.Tests.Gateway;

/// <summary>Hosts of the p2p-gateway module, alone or with the node gateway registered beside it (the embedded node).</summary>
internal static class GatewayNode
{
    /// <summary>The p2p-gateway module with <c>AddNodeGateway</c> in the same process.</summary>
    public static Task<ModuleHost> StartEmbeddedAsync(IReadOnlyDictionary<string, string?>? settings, CancellationToken cancellationToken) =>
        ModuleHost.StartAsync(
            static b =>
            {
                b.AddP2PGateway();
                b.AddNodeGateway();
            },
            static a => a.MapP2PGateway(),
            settings,
            cancellationToken);

    /// <summary>The p2p-gateway module alone, as its own service hosts it.</summary>
    public static Task<ModuleHost> StartGatewayAsync(CancellationToken cancellationToken) =>
        ModuleHost.StartAsync(static b => b.AddP2PGateway(), static a => a.MapP2PGateway(), null, cancellationToken);

    /// <summary>
    /// <c>AddNodeGateway</c> without the p2p-gateway module, as a map-announcer in its own process registers it (with the
    /// gRPC services every service registers).
    /// </summary>
    public static Task<ModuleHost> StartWithoutGatewayAsync(IReadOnlyDictionary<string, string?>? settings, CancellationToken cancellationToken) =>
        ModuleHost.StartAsync(
            static b =>
            {
                b.Services.AddGrpc();
                b.AddNodeGateway();
            },
            static _ => { },
            settings,
            cancellationToken);
}
