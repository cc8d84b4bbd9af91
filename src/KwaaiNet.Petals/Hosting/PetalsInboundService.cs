// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf;
using Grpc.Core;
using KwaaiNet.Contracts.Hosting;
using KwaaiNet.Contracts.Inbound.V1;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Protocols;
using KwaaiNet.Petals.Kwaai;
using KwaaiNet.Petals.Serving;

namespace KwaaiNet.Petals.Hosting;

/// <summary>
/// The inference protocols' handlers for a worker in its own process: the p2p-gateway routes
/// <c>TransformerConnectionHandler.*</c> unary calls and streams, and <c>/kwaai/inference/1.0.0</c> unary calls, here
/// (<c>KwaaiNet:Gateway:Inbound</c>).
/// </summary>
internal sealed class PetalsInboundService(TransformerConnectionHandler handler, KwaaiInferenceHandler kwaai) : InboundHandler.InboundHandlerBase
{
    public override async Task<HandleUnaryResponse> HandleUnary(HandleUnaryRequest request, ServerCallContext context)
    {
        UnaryResult result;
        if (request.Protocol == KwaaiInferenceCodec.Protocol)
        {
            // Its sessions belong to the caller: the gateway passes the peer id Noise authenticated.
            if (!PeerId.TryParse(request.RemotePeerId, out var caller))
            {
                GrpcStatus.ThrowInvalidArgument($"remote_peer_id '{request.RemotePeerId}' is not a peer id.");
            }

            result = await kwaai.HandleAsync(new UnaryRequest(caller, request.Protocol, request.Data.Memory), context.CancellationToken).ConfigureAwait(false);
        }
        else
        {
            result = await handler.HandleUnaryAsync(request.Protocol, request.Data.Memory, context.CancellationToken).ConfigureAwait(false);
        }

        return result.Error is { } error
            ? new HandleUnaryResponse { Error = error }
            : new HandleUnaryResponse { Data = UnsafeByteOperations.UnsafeWrap(result.Response!.Value) };
    }

    public override async Task HandleStream(IAsyncStreamReader<InboundFrame> requestStream, IServerStreamWriter<InboundFrame> responseStream, ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            return;
        }

        if (requestStream.Current.FrameCase != InboundFrame.FrameOneofCase.Open)
        {
            GrpcStatus.ThrowInvalidArgument("A relayed stream starts with its open frame.");
        }

        var protocol = requestStream.Current.Open.Protocol;
        await using var stream = new InboundFrameStream(requestStream, responseStream);
        await handler.HandleStreamAsync(protocol, stream, context.CancellationToken).ConfigureAwait(false);
        await stream.CompleteWritesAsync(context.CancellationToken).ConfigureAwait(false);
    }
}
