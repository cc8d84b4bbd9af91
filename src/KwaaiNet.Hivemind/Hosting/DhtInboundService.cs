// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf;
using Grpc.Core;
using KwaaiNet.Contracts.Hosting;
using KwaaiNet.Contracts.Inbound.V1;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Protocols;

namespace KwaaiNet.Hivemind.Hosting;

/// <summary>
/// The inbound side of a standalone dht service: the p2p-gateway routes <c>DHTProtocol.*</c> unary calls here with
/// the caller's authenticated peer id; the reply, or the reason a request was refused, goes back in p2pd's unary
/// format.
/// </summary>
internal sealed class DhtInboundService(DhtRuntime runtime) : InboundHandler.InboundHandlerBase
{
    public override async Task<HandleUnaryResponse> HandleUnary(HandleUnaryRequest request, ServerCallContext context)
    {
        var node = runtime.Node ?? throw new RpcException(new Status(StatusCode.Unavailable, "the DHT node is starting"));
        if (!PeerId.TryParse(request.RemotePeerId, out var caller))
        {
            GrpcStatus.ThrowInvalidArgument($"remote_peer_id '{request.RemotePeerId}' is not a peer id.");
        }

        var result = await node.Protocol.ServeAsync(new UnaryRequest(caller, request.Protocol, request.Data.Memory), context.CancellationToken).ConfigureAwait(false);
        return result.Error is { } error
            ? new HandleUnaryResponse { Error = error }
            : new HandleUnaryResponse { Data = UnsafeByteOperations.UnsafeWrap(result.Response!.Value) };
    }
}
