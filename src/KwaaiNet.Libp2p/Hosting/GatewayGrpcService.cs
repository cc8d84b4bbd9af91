// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf;
using Grpc.Core;
using KwaaiNet.Contracts.Gateway.V1;
using KwaaiNet.Contracts.Hosting;
using KwaaiNet.Contracts.Node;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Libp2p.Hosting;

/// <summary>The gateway's internal gRPC API: maps and delegates only.</summary>
internal sealed class GatewayGrpcService(NodeIdentityProvider identity, IOptions<NodeOptions> options) : Gateway.GatewayBase
{
    /// <summary>The issue that brings the libp2p transport (TCP, Noise, Yamux) and dialing.</summary>
    private const int TransportIssue = 3;

    private readonly NodeOptions _options = options.Value;

    public override Task<IdentityResponse> Identity(IdentityRequest request, ServerCallContext context)
    {
        var node = identity.Identity;
        var response = new IdentityResponse
        {
            PeerId = node.PeerId.ToString(),
            PublicKey = ByteString.CopyFrom(node.PublicKeyProtobuf.Span),
            AgentVersion = AgentVersion.Value,
        };
        response.AnnounceAddrs.AddRange(AnnounceAddresses.From(_options));
        return Task.FromResult(response);
    }

    public override Task<ConnectResponse> Connect(ConnectRequest request, ServerCallContext context)
    {
        throw GrpcStatus.NotBuiltYet("Dialing peers", TransportIssue);
    }

    public override Task<PeersResponse> Peers(PeersRequest request, ServerCallContext context)
    {
        throw GrpcStatus.NotBuiltYet("The peer list", TransportIssue);
    }

    public override Task<CallUnaryResponse> CallUnary(CallUnaryRequest request, ServerCallContext context)
    {
        throw GrpcStatus.NotBuiltYet("Unary calls to peers", TransportIssue);
    }

    public override Task OpenStream(IAsyncStreamReader<StreamFrame> requestStream, IServerStreamWriter<StreamFrame> responseStream, ServerCallContext context)
    {
        throw GrpcStatus.NotBuiltYet("Streams to peers", TransportIssue);
    }
}
