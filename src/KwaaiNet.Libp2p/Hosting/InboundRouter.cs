// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using KwaaiNet.Contracts.Inbound.V1;
using KwaaiNet.Libp2p.Network;
using KwaaiNet.Libp2p.Protocols;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Libp2p.Hosting;

/// <summary>
/// Routes inbound libp2p protocols to the services that serve them (<see cref="GatewayOptions.Inbound"/>): unary
/// calls to <c>InboundHandler.HandleUnary</c> with the authenticated caller, streams to <c>HandleStream</c>. A
/// service that fails or cannot be reached becomes an error in p2pd's unary error arm, or a reset stream.
/// </summary>
internal sealed class InboundRouter(IOptions<GatewayOptions> options, IHttpMessageHandlerFactory handlers, ILogger<InboundRouter> logger) : IDisposable
{
    private readonly ConcurrentDictionary<Uri, GrpcChannel> _channels = new();

    public void Register(Libp2pHost host, UnaryCalls unary)
    {
        foreach (var route in options.Value.Inbound)
        {
            var client = new InboundHandler.InboundHandlerClient(Channel(route.Address!));
            if (route.Kind == InboundKind.Unary)
            {
                UnaryHandler handler = (request, ct) => ForwardUnaryAsync(client, route, request, ct);
                if (route.IsPrefix)
                {
                    unary.AddPrefixHandler(route.ProtocolOrPrefix, handler);
                }
                else
                {
                    unary.AddHandler(route.ProtocolOrPrefix, handler);
                }
            }
            else
            {
                StreamHandler handler = (stream, ct) => ForwardStreamAsync(client, stream, ct);
                if (route.IsPrefix)
                {
                    host.Protocols.AddPrefix(route.ProtocolOrPrefix, handler);
                }
                else
                {
                    host.Protocols.Add(route.ProtocolOrPrefix, handler);
                }
            }

            logger.InboundRouteRegistered(route.Protocol, route.Kind, route.Address!);
        }
    }

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }
    }

    private GrpcChannel Channel(Uri address) =>
        _channels.GetOrAdd(address, a => GrpcChannel.ForAddress(a, new GrpcChannelOptions
        {
            // The factory's handler carries service discovery (ServiceDefaults configures every HttpClient).
            HttpHandler = handlers.CreateHandler("inbound-" + a.Host),
            DisposeHttpClient = true,
            MaxReceiveMessageSize = options.Value.UnaryMaxMessageSize,
            MaxSendMessageSize = options.Value.UnaryMaxMessageSize,
        }));

    private async Task<UnaryResult> ForwardUnaryAsync(
        InboundHandler.InboundHandlerClient client, InboundRoute route, UnaryRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var reply = await client.HandleUnaryAsync(
                new HandleUnaryRequest
                {
                    RemotePeerId = request.Caller.ToString(),
                    Protocol = request.Protocol,
                    Data = ByteString.CopyFrom(request.Data.Span),
                },
                cancellationToken: cancellationToken).ConfigureAwait(false);
            return reply.ResultCase == HandleUnaryResponse.ResultOneofCase.Error
                ? UnaryResult.Fail(reply.Error)
                : UnaryResult.Ok(reply.Data.Memory);
        }
        catch (RpcException ex)
        {
            logger.InboundServiceFailed(request.Protocol, route.Address!, ex.Status.Detail);
            return UnaryResult.Fail("The node's service for " + request.Protocol + " failed: " + ex.Status.StatusCode + " " + ex.Status.Detail);
        }
    }

    private static async Task ForwardStreamAsync(InboundHandler.InboundHandlerClient client, PeerStream stream, CancellationToken cancellationToken)
    {
        using var call = client.HandleStream(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(
            new InboundFrame
            {
                Open = new InboundOpen
                {
                    RemotePeerId = stream.RemotePeer.ToString(),
                    Protocol = stream.Protocol,
                    RemoteAddr = stream.Connection.RemoteAddress.ToString(),
                },
            },
            cancellationToken).ConfigureAwait(false);

        var toService = PumpToServiceAsync(stream.Stream, call.RequestStream, cancellationToken);
        await StreamRelay.CopyFromFramesAsync(
            call.ResponseStream,
            stream,
            static f => f.FrameCase == InboundFrame.FrameOneofCase.Data ? f.Data : null,
            static f => f.FrameCase == InboundFrame.FrameOneofCase.Close,
            cancellationToken).ConfigureAwait(false);
        await toService.ConfigureAwait(false);
    }

    private static async Task PumpToServiceAsync(Stream source, IClientStreamWriter<InboundFrame> target, CancellationToken cancellationToken)
    {
        await StreamRelay.CopyToFramesAsync(
            source, target, static d => new InboundFrame { Data = d }, new InboundFrame { Close = new InboundClose() }, cancellationToken).ConfigureAwait(false);
        await target.CompleteAsync().ConfigureAwait(false);
    }
}
