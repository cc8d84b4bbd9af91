// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using KwaaiNet.Contracts.Inbound.V1;
using KwaaiNet.Contracts.Scaling;
using KwaaiNet.Libp2p.Network;
using KwaaiNet.Libp2p.Protocols;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace KwaaiNet.Libp2p.Hosting;

/// <summary>
/// Routes inbound libp2p protocols to the services that serve them (<see cref="GatewayOptions.Inbound"/>): unary
/// calls to <c>InboundHandler.HandleUnary</c> with the authenticated caller, streams to <c>HandleStream</c>. A
/// service that fails or cannot be reached becomes an error in p2pd's unary error arm, or a reset stream.
/// A route to a worker pool (<c>pool://name</c>) goes straight to one of the pool's workers: a stream (one session)
/// stays on the worker it opened on; a remote peer's unary calls of a protocol stay on one worker (kept in Redis), and
/// move to another when that worker is gone, which then answers as for a session it never saw and the caller replays.
/// </summary>
internal sealed class InboundRouter(
    IOptions<GatewayOptions> options,
    IHttpMessageHandlerFactory handlers,
    IServiceProvider services,
    TimeProvider time,
    ILogger<InboundRouter> logger) : IDisposable
{
    private readonly ConcurrentDictionary<Uri, GrpcChannel> _channels = new();
    private readonly ConcurrentDictionary<string, WorkerPool> _pools = new(StringComparer.Ordinal);

    public void Register(Libp2pHost host, UnaryCalls unary)
    {
        foreach (var route in options.Value.Inbound)
        {
            UnaryHandler unaryHandler;
            StreamHandler streamHandler;
            if (route.PoolName is { } poolName)
            {
                var pool = _pools.GetOrAdd(poolName, name => new WorkerPool(
                    name, services.GetRequiredService<IConnectionMultiplexer>(), options.Value, time, logger));
                unaryHandler = (request, ct) => ForwardUnaryToPoolAsync(pool, request, ct);
                streamHandler = (stream, ct) => ForwardStreamToPoolAsync(pool, stream, ct);
            }
            else
            {
                var client = new InboundHandler.InboundHandlerClient(Channel(route.Address!));
                unaryHandler = (request, ct) => ForwardUnaryAsync(client, route.Address!, request, ct);
                streamHandler = (stream, ct) => ForwardStreamAsync(client, stream, ct);
            }

            if (route.Kind == InboundKind.Unary)
            {
                if (route.IsPrefix)
                {
                    unary.AddPrefixHandler(route.ProtocolOrPrefix, unaryHandler);
                }
                else
                {
                    unary.AddHandler(route.ProtocolOrPrefix, unaryHandler);
                }
            }
            else if (route.IsPrefix)
            {
                host.Protocols.AddPrefix(route.ProtocolOrPrefix, streamHandler);
            }
            else
            {
                host.Protocols.Add(route.ProtocolOrPrefix, streamHandler);
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

        foreach (var pool in _pools.Values)
        {
            pool.Dispose();
        }
    }

    /// <summary>True when a worker's failure means it is gone (not a failure of the call itself).</summary>
    private static bool IsGone(RpcException ex) => ex.StatusCode is StatusCode.Unavailable;

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
        InboundHandler.InboundHandlerClient client, Uri address, UnaryRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await CallUnaryAsync(client, request, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            logger.InboundServiceFailed(request.Protocol, address, ex.Status.Detail);
            return ServiceFailed(request, ex);
        }
    }

    /// <summary>
    /// A pooled unary call: to the worker the caller's calls of this protocol went to before, while it lives; else (or
    /// when it does not answer) to the least loaded live worker, which the caller's calls then stick to.
    /// </summary>
    private async Task<UnaryResult> ForwardUnaryToPoolAsync(WorkerPool pool, UnaryRequest request, CancellationToken cancellationToken)
    {
        var peer = request.Caller.ToString();
        try
        {
            var affine = await pool.AffinityAsync(peer, request.Protocol, cancellationToken).ConfigureAwait(false);
            var live = await pool.LiveAsync(cancellationToken).ConfigureAwait(false);
            var target = affine is null ? null : live.FirstOrDefault(w => w.WorkerId == affine);
            var gone = target is null ? affine : null;
            HashSet<string> tried = new(StringComparer.Ordinal);
            while (true)
            {
                if (target is null)
                {
                    target = pool.Pick(live, tried);
                    if (target is null)
                    {
                        logger.PoolEmpty(pool.Name, request.Protocol, peer);
                        return UnaryResult.Fail("The node has no live worker for " + request.Protocol + " now; try again shortly.");
                    }

                    if (gone is not null)
                    {
                        logger.PoolWorkerGone(gone, peer, target.WorkerId);
                    }

                    await pool.SetAffinityAsync(peer, request.Protocol, target.WorkerId, cancellationToken).ConfigureAwait(false);
                }

                try
                {
                    return await CallUnaryAsync(pool.Client(target), request, cancellationToken).ConfigureAwait(false);
                }
                catch (RpcException ex) when (IsGone(ex) && !cancellationToken.IsCancellationRequested)
                {
                    logger.PoolWorkerUnreachable(target.WorkerId, pool.Name, target.Endpoint, ex.Status.Detail);
                    pool.MarkGone(target);
                    tried.Add(target.WorkerId);
                    gone = target.WorkerId;
                    target = null;
                }
                catch (RpcException ex)
                {
                    logger.InboundServiceFailed(request.Protocol, target.Endpoint, ex.Status.Detail);
                    return ServiceFailed(request, ex);
                }
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            logger.PoolRegistryUnavailable(pool.Name, request.Protocol, ex.Message);
            return UnaryResult.Fail("The node's worker registry for " + request.Protocol + " is unavailable; try again shortly.");
        }
    }

    private static async Task<UnaryResult> CallUnaryAsync(InboundHandler.InboundHandlerClient client, UnaryRequest request, CancellationToken cancellationToken)
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

    private static UnaryResult ServiceFailed(UnaryRequest request, RpcException ex) =>
        UnaryResult.Fail("The node's service for " + request.Protocol + " failed: " + ex.Status.StatusCode + " " + ex.Status.Detail);

    private static async Task ForwardStreamAsync(InboundHandler.InboundHandlerClient client, PeerStream stream, CancellationToken cancellationToken)
    {
        using var call = client.HandleStream(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(Open(stream), cancellationToken).ConfigureAwait(false);
        await RelayAsync(call, stream, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A pooled stream (one session): opened on the least loaded live worker, and kept there to its end. A worker that
    /// does not take the stream is marked gone and the next one is tried; once the stream runs, a lost worker resets it
    /// and the caller opens a new one (which lands on a live worker).
    /// </summary>
    private async Task ForwardStreamToPoolAsync(WorkerPool pool, PeerStream stream, CancellationToken cancellationToken)
    {
        var peer = stream.RemotePeer.ToString();
        IReadOnlyList<WorkerRegistration> live;
        try
        {
            live = await pool.LiveAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            logger.PoolRegistryUnavailable(pool.Name, stream.Protocol, ex.Message);
            stream.Reset();
            return;
        }

        HashSet<string> tried = new(StringComparer.Ordinal);
        string? gone = null;
        while (pool.Pick(live, tried) is { } target)
        {
            if (gone is not null)
            {
                logger.PoolWorkerGone(gone, peer, target.WorkerId);
            }

            using var lease = pool.TrackStream(target.WorkerId);
            using var call = pool.Client(target).HandleStream(cancellationToken: cancellationToken);
            try
            {
                await call.RequestStream.WriteAsync(Open(stream), cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException ex) when (IsGone(ex) && !cancellationToken.IsCancellationRequested)
            {
                // Nothing of the peer's stream was read yet, so the next worker gets it whole.
                logger.PoolWorkerUnreachable(target.WorkerId, pool.Name, target.Endpoint, ex.Status.Detail);
                pool.MarkGone(target);
                tried.Add(target.WorkerId);
                gone = target.WorkerId;
                continue;
            }

            await RelayAsync(call, stream, cancellationToken).ConfigureAwait(false);
            return;
        }

        logger.PoolEmpty(pool.Name, stream.Protocol, peer);
        stream.Reset();
    }

    private static InboundFrame Open(PeerStream stream) => new()
    {
        Open = new InboundOpen
        {
            RemotePeerId = stream.RemotePeer.ToString(),
            Protocol = stream.Protocol,
            RemoteAddr = stream.Connection.RemoteAddress.ToString(),
        },
    };

    private static async Task RelayAsync(AsyncDuplexStreamingCall<InboundFrame, InboundFrame> call, PeerStream stream, CancellationToken cancellationToken)
    {
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
