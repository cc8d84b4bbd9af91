// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf;
using Grpc.Core;
using KwaaiNet.Contracts.Gateway.V1;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;

namespace KwaaiNet.Hivemind.Protocol;

/// <summary>
/// Calls through the p2p-gateway's gRPC <c>CallUnary</c> (the split deployment: the gateway owns the node's libp2p
/// identity and connections). The gateway dials by peer id through its peerstore and kad peer routing.
/// </summary>
public sealed class GatewayDhtTransport(Gateway.GatewayClient gateway) : IDhtTransport
{
    private static readonly TimeSpan IdentityDeadline = TimeSpan.FromSeconds(1);

    private PeerId? _localPeer;

    /// <inheritdoc/>
    public async ValueTask<PeerId> GetLocalPeerAsync(CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        if (_localPeer is null)
        {
            try
            {
                // A short deadline: callers (RoutingTable, FindNearest) answer without our peer id rather than wait on a
                // gateway that is not up yet.
                var identity = await gateway.IdentityAsync(new IdentityRequest(), deadline: DateTime.UtcNow + IdentityDeadline, cancellationToken: cancellationToken).ConfigureAwait(false);
                _localPeer = PeerId.Parse(identity.PeerId);
            }
            catch (RpcException ex)
            {
                throw new DhtCallException($"the p2p-gateway did not give its identity: {ex.Status.Detail}", ex);
            }
        }

        return _localPeer;
    }

    /// <inheritdoc/>
    public async Task<PeerId> ConnectAsync(Multiaddr address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(address);
        var peer = address.PeerId ?? throw new ArgumentException($"{address} does not end in /p2p/<peer id>", nameof(address));
        try
        {
            var reply = await gateway.ConnectAsync(
                new ConnectRequest { PeerId = peer.ToBase58(), Addrs = { address.WithoutPeerId().ToString() } },
                cancellationToken: cancellationToken).ConfigureAwait(false);
            return PeerId.Parse(reply.PeerId);
        }
        catch (RpcException ex)
        {
            throw new DhtCallException($"could not connect to {address} ({ex.StatusCode}): {ex.Status.Detail}", ex);
        }
    }

    /// <inheritdoc/>
    public async Task<ReadOnlyMemory<byte>> CallAsync(PeerId peer, string protocol, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(peer);
        try
        {
            var reply = await gateway.CallUnaryAsync(
                new CallUnaryRequest { PeerId = peer.ToBase58(), Protocol = protocol, Data = UnsafeByteOperations.UnsafeWrap(request) },
                cancellationToken: cancellationToken).ConfigureAwait(false);
            return reply.Data.Memory;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (RpcException ex)
        {
            // The gateway maps a remote handler's error to Aborted; everything else means the peer was not reached.
            throw new DhtCallException($"{protocol} to {peer} failed ({ex.StatusCode}): {ex.Status.Detail}", ex) { RemoteError = ex.StatusCode == StatusCode.Aborted };
        }
    }
}
