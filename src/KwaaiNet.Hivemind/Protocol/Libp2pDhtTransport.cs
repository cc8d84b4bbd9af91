// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Network;
using KwaaiNet.Libp2p.Protocols;

namespace KwaaiNet.Hivemind.Protocol;

/// <summary>
/// Calls through a libp2p host in this process (the embedded node, in-process swarms): p2pd's unary format over a
/// new stream per call, the peer dialled at its known addresses or found through kad peer routing.
/// </summary>
public sealed class Libp2pDhtTransport(Libp2pHost host, UnaryCalls unary) : IDhtTransport
{
    /// <inheritdoc/>
    public ValueTask<PeerId> GetLocalPeerAsync(CancellationToken cancellationToken) => ValueTask.FromResult(host.PeerId);

    /// <inheritdoc/>
    public async Task<PeerId> ConnectAsync(Multiaddr address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        try
        {
            var connection = await host.ConnectAsync(address, cancellationToken).ConfigureAwait(false);
            return connection.RemotePeer;
        }
        catch (Exception ex) when (ex is Libp2pProtocolException or IOException)
        {
            throw new DhtCallException($"could not connect to {address}: {ex.Message}", ex);
        }
    }

    /// <inheritdoc/>
    public async Task<ReadOnlyMemory<byte>> CallAsync(PeerId peer, string protocol, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unary);
        try
        {
            return await unary.CallAsync(peer, protocol, request, cancellationToken).ConfigureAwait(false);
        }
        catch (UnaryCallException ex)
        {
            throw new DhtCallException($"{peer} answered {protocol} with an error: {ex.Message}", ex) { RemoteError = true };
        }
        catch (Exception ex) when (ex is Libp2pProtocolException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            throw new DhtCallException($"{protocol} to {peer} failed: {ex.Message}", ex);
        }
    }
}
