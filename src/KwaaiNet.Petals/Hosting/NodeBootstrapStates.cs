// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Node;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Petals.Gateway;
using KwaaiNet.Petals.Map;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Hosting;

/// <summary>
/// The map's <c>bootstrap_states</c> from this node's view: one entry per <c>KwaaiNet:Node:initial_peers</c> peer,
/// <c>online</c> while the gateway has a connection to it. Without a gateway in reach (none registered, or it does not
/// answer) every peer is <c>offline</c>.
/// </summary>
internal sealed class NodeBootstrapStates(IOptions<NodeOptions> node, IServiceProvider services, ILogger<NodeBootstrapStates> logger) : IBootstrapStates
{
    private const string Online = "online";
    private const string Offline = "offline";

    public async Task<IReadOnlyList<string>> GetStatesAsync(CancellationToken cancellationToken)
    {
        var peers = node.Value.InitialPeers;
        if (peers.Count == 0)
        {
            return [];
        }

        var connected = new HashSet<string>(StringComparer.Ordinal);
        if (services.GetService<INodeGateway>() is { } gateway)
        {
            try
            {
                connected = (await gateway.GetConnectedPeersAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
            }
            catch (GatewayUnavailableException ex)
            {
                logger.MapGatewayUnavailable(ex.Message);
            }
        }

        return [.. peers.Select(p => Multiaddr.TryParse(p, out var address) && address.PeerId is { } id && connected.Contains(id.ToBase58()) ? Online : Offline)];
    }
}
