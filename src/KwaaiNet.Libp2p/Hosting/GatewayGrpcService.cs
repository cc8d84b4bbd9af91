// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf;
using Grpc.Core;
using KwaaiNet.Contracts.Gateway.V1;
using KwaaiNet.Contracts.Node;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Multistream;
using KwaaiNet.Libp2p.Network;
using KwaaiNet.Libp2p.Protocols;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Libp2p.Hosting;

/// <summary>The gateway's internal gRPC API: services reach remote peers through the node's one libp2p host.</summary>
internal sealed class GatewayGrpcService(NodeIdentityProvider identity, Libp2pNode node, IOptions<NodeOptions> options) : Gateway.GatewayBase
{
    private readonly NodeOptions _options = options.Value;

    public override Task<IdentityResponse> Identity(IdentityRequest request, ServerCallContext context)
    {
        var self = identity.Identity;
        var response = new IdentityResponse
        {
            PeerId = self.PeerId.ToString(),
            PublicKey = ByteString.CopyFrom(self.PublicKeyProtobuf.Span),
            AgentVersion = AgentVersion.Value,
        };
        response.ListenAddrs.AddRange(node.Host.ListenAddresses.Select(a => a.WithPeerId(self.PeerId).ToString()));
        response.AnnounceAddrs.AddRange(AnnounceAddresses.From(_options));
        return Task.FromResult(response);
    }

    public override async Task<ConnectResponse> Connect(ConnectRequest request, ServerCallContext context)
    {
        var addresses = new List<Multiaddr>();
        foreach (var text in request.Addrs)
        {
            addresses.Add(Multiaddr.TryParse(text, out var address)
                ? address
                : throw new RpcException(new Status(StatusCode.InvalidArgument, $"'{text}' is not a multiaddr.")));
        }

        var peer = string.IsNullOrEmpty(request.PeerId) ? null : ParsePeer(request.PeerId);
        var connection = await CallAsync(() => peer is not null
            ? node.Host.ConnectAsync(peer, addresses, context.CancellationToken)
            : addresses.Count == 1
                ? node.Host.ConnectAsync(addresses[0], context.CancellationToken)
                : throw new RpcException(new Status(StatusCode.InvalidArgument, "Give a peer_id, or exactly one address."))).ConfigureAwait(false);
        return new ConnectResponse { PeerId = connection.RemotePeer.ToString(), RemoteAddr = connection.RemoteAddress.ToString() };
    }

    public override Task<PeersResponse> Peers(PeersRequest request, ServerCallContext context)
    {
        var response = new PeersResponse();
        foreach (var connection in node.Host.Connections.DistinctBy(static c => c.RemotePeer))
        {
            var info = new PeerInfo { PeerId = connection.RemotePeer.ToString() };
            info.Addrs.Add(connection.RemoteAddress.ToString());
            if (node.PeerStore.TryGet(connection.RemotePeer, out var record) && record.AgentVersion is { } agent)
            {
                info.AgentVersion = agent;
            }

            response.Peers.Add(info);
        }

        return Task.FromResult(response);
    }

    public override async Task<CallUnaryResponse> CallUnary(CallUnaryRequest request, ServerCallContext context)
    {
        var peer = ParsePeer(request.PeerId);
        if (string.IsNullOrEmpty(request.Protocol))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "protocol is required, e.g. DHTProtocol.rpc_ping."));
        }

        var data = await CallAsync(() => node.Unary.CallAsync(peer, request.Protocol, request.Data.Memory, context.CancellationToken)).ConfigureAwait(false);
        return new CallUnaryResponse { Data = UnsafeByteOperations.UnsafeWrap(data) };
    }

    public override async Task OpenStream(IAsyncStreamReader<StreamFrame> requestStream, IServerStreamWriter<StreamFrame> responseStream, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        if (!await requestStream.MoveNext(cancellationToken).ConfigureAwait(false) || requestStream.Current.FrameCase != StreamFrame.FrameOneofCase.Open)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "The first frame must be open {peer_id, protocols}."));
        }

        var open = requestStream.Current.Open;
        var peer = ParsePeer(open.PeerId);
        if (open.Protocols.Count == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "open needs at least one protocol."));
        }

        await using var stream = await CallAsync(() => node.Host.OpenStreamAsync(peer, [.. open.Protocols], cancellationToken)).ConfigureAwait(false);

        // An open frame back tells the caller that the stream is open before either side has sent a byte.
        await responseStream.WriteAsync(new StreamFrame { Open = new StreamOpen { PeerId = peer.ToString(), Protocols = { stream.Protocol } } }, cancellationToken).ConfigureAwait(false);
        using var pumpStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var toPeer = StreamRelay.CopyFromFramesAsync(
            requestStream,
            stream,
            static f => f.FrameCase == StreamFrame.FrameOneofCase.Data ? f.Data : null,
            static f => f.FrameCase == StreamFrame.FrameOneofCase.Close,
            pumpStop.Token);
        try
        {
            await StreamRelay.CopyToFramesAsync(
                stream.Stream, responseStream, static d => new StreamFrame { Data = d }, new StreamFrame { Close = new StreamClose() }, cancellationToken).ConfigureAwait(false);
            await toPeer.ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            // The peer reset the stream or the connection dropped: say so rather than failing with Unknown, after
            // the request pump has stopped reading (a call must not end while its body is being read).
            stream.Reset();
            await pumpStop.CancelAsync().ConfigureAwait(false);
            try
            {
                await toPeer.ConfigureAwait(false);
            }
            catch (Exception pumpError) when (pumpError is OperationCanceledException or IOException)
            {
            }

            throw new RpcException(new Status(StatusCode.Unavailable, "The stream to " + peer + " ended: " + ex.Message));
        }
    }

    private static PeerId ParsePeer(string text) =>
        PeerId.TryParse(text, out var peer)
            ? peer
            : throw new RpcException(new Status(StatusCode.InvalidArgument, $"'{text}' is not a peer id (base58btc or CIDv1)."));

    /// <summary>Maps the libp2p failures to gRPC statuses that say what went wrong.</summary>
    private static async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (DialException ex)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, ex.Message));
        }
        catch (ProtocolNotSupportedException ex)
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, ex.Message));
        }
        catch (UnaryCallException ex)
        {
            throw new RpcException(new Status(StatusCode.Aborted, "The remote handler failed: " + ex.Message));
        }
        catch (Libp2pProtocolException ex)
        {
            throw new RpcException(new Status(StatusCode.Internal, "The peer broke the protocol: " + ex.Message));
        }
        catch (IOException ex)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "The connection failed: " + ex.Message));
        }
        catch (ArgumentException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, ex.Message));
        }
    }
}
