// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Node;
using KwaaiNet.Libp2p.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Libp2p.Hosting;

/// <summary>
/// Owns the node's one libp2p identity: loads <c>identity.key</c> (upstream's format) or generates and saves it
/// on first start when the default path is used. Loaded once; a missing explicit key or a corrupt file fails start.
/// </summary>
internal sealed class NodeIdentityProvider(IOptions<NodeOptions> options, ILogger<NodeIdentityProvider> logger)
{
    private readonly Lazy<NodeIdentity> _identity = new(() => Load(options.Value, logger), LazyThreadSafetyMode.ExecutionAndPublication);

    public NodeIdentity Identity => _identity.Value;

    private static NodeIdentity Load(NodeOptions options, ILogger logger)
    {
        var (path, mayCreate) = options.EffectiveIdentityKey;
        var result = IdentityKeyFile.LoadOrCreate(path, mayCreate);
        var peerId = result.Identity.PeerId.ToString();
        if (result.Created)
        {
            logger.IdentityCreated(peerId, path);
        }
        else
        {
            logger.IdentityLoaded(peerId, path);
        }

        return result.Identity;
    }
}
