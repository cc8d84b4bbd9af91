// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Numerics;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using KwaaiNet.Contracts.Dht.V1;
using KwaaiNet.Contracts.Hosting;
using KwaaiNet.Contracts.Node;
using KwaaiNet.Hivemind.Node;
using KwaaiNet.Hivemind.Protocol;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Values;
using KwaaiNet.Libp2p.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WireDhtPeer = KwaaiNet.Contracts.Dht.V1.DhtPeer;

namespace KwaaiNet.Hivemind.Hosting;

/// <summary>The dht module's gRPC API: validates, maps and delegates to the node.</summary>
internal sealed class DhtGrpcService(
    DhtRuntime runtime,
    IOptions<DhtOptions> options,
    IOptions<NodeOptions> node,
    ILogger<DhtGrpcService> logger) : Dht.DhtBase
{
    private readonly DhtOptions _options = options.Value;

    public override async Task<StoreResponse> Store(StoreRequest request, ServerCallContext context)
    {
        var dhtNode = Node();
        if (request.Items.Count == 0 || request.Items.Count > _options.MaxKeysPerRequest)
        {
            GrpcStatus.ThrowInvalidArgument($"a store takes 1 to {_options.MaxKeysPerRequest} items (got {request.Items.Count}).");
        }

        var items = new List<DhtStoreItem>(request.Items.Count);
        for (var i = 0; i < request.Items.Count; i++)
        {
            var item = request.Items[i];
            var key = KeyOf(item.Key, item.KeyId, $"items[{i}]");
            if (item.Subkey.Length > _options.MaxSubkeyBytes)
            {
                GrpcStatus.ThrowInvalidArgument($"items[{i}]: subkey is {item.Subkey.Length} bytes; at most {_options.MaxSubkeyBytes} are accepted.");
            }

            var subkey = item.Subkey.IsEmpty ? DhtMsgPack.RegularValueTag : item.Subkey.Memory;
            items.Add(new DhtStoreItem(key, subkey, item.Value.Memory, item.ExpirationTime));
        }

        var outcomes = await WithNodeAsync(() => dhtNode.StoreManyAsync(items, context.CancellationToken)).ConfigureAwait(false);
        var response = new StoreResponse();
        response.Results.Add(outcomes.Select(static o => new StoreResult { Stored = o.Stored, Replicas = o.Replicas }));
        return response;
    }

    public override async Task<GetResponse> Get(GetRequest request, ServerCallContext context)
    {
        var dhtNode = Node();
        var key = KeyOf(request.Key, request.KeyId, "request");
        var item = await WithNodeAsync(() => dhtNode.GetAsync(key, request.Latest, context.CancellationToken)).ConfigureAwait(false);
        var response = new GetResponse { Found = item is not null };
        if (item is null)
        {
            return response;
        }

        response.ExpirationTime = item.ExpirationTime;
        response.IsDictionary = item.IsDictionary;
        if (item.IsDictionary)
        {
            response.Entries.Add(item.Entries!.Select(static e => new DhtValue
            {
                Subkey = ByteString.CopyFrom(e.Subkey.Span),
                Value = ByteString.CopyFrom(e.Value.Span),
                ExpirationTime = e.ExpirationTime,
            }));
        }
        else
        {
            response.Value = ByteString.CopyFrom(item.Value.Span);
        }

        return response;
    }

    public override async Task<FindNearestResponse> FindNearest(FindNearestRequest request, ServerCallContext context)
    {
        var dhtNode = Node();
        var key = KeyOf(request.Key, request.KeyId, "request");
        if (request.Count is < 0 or > 1024)
        {
            GrpcStatus.ThrowInvalidArgument($"count must be 0 to 1024 (got {request.Count}).");
        }

        PeerId? self = null;
        try
        {
            self = await runtime.Transport!.GetLocalPeerAsync(context.CancellationToken).ConfigureAwait(false);
        }
        catch (DhtCallException)
        {
            // The gateway is not up yet: answer without this node.
        }

        var nearest = await WithNodeAsync(() => dhtNode.FindNearestNodesAsync([key], request.Count == 0 ? null : request.Count, self is null, self, context.CancellationToken)).ConfigureAwait(false);
        var response = new FindNearestResponse();
        response.Peers.Add(nearest[key].Select(Peer));
        return response;
    }

    public override async Task<BootstrapResponse> Bootstrap(BootstrapRequest request, ServerCallContext context)
    {
        var dhtNode = Node();
        IReadOnlyList<string> peers = request.Peers.Count > 0 ? [.. request.Peers] : node.Value.InitialPeers;
        if (peers.Count > 64)
        {
            GrpcStatus.ThrowInvalidArgument($"at most 64 bootstrap peers (got {peers.Count}).");
        }

        int answered;
        try
        {
            answered = await WithNodeAsync(() => runtime.BootstrapAsync(peers, context.CancellationToken)).ConfigureAwait(false);
        }
        catch (FormatException ex)
        {
            GrpcStatus.ThrowInvalidArgument(ex.Message);
            throw;
        }

        return new BootstrapResponse { Answered = answered, RoutingTableSize = dhtNode.RoutingTable.Count };
    }

    public override async Task<RoutingTableResponse> RoutingTable(RoutingTableRequest request, ServerCallContext context)
    {
        var dhtNode = Node();
        var response = new RoutingTableResponse
        {
            NodeId = ByteString.CopyFrom(dhtNode.NodeId.ToBytes()),
            Size = dhtNode.RoutingTable.Count,
        };
        try
        {
            response.PeerId = (await runtime.Transport!.GetLocalPeerAsync(context.CancellationToken).ConfigureAwait(false)).ToBase58();
        }
        catch (DhtCallException)
        {
            // The gateway is not up yet: the peer id stays empty.
        }

        foreach (var bucket in dhtNode.RoutingTable.Buckets)
        {
            var wire = new Bucket
            {
                Lower = ByteString.CopyFrom(IdBytes(bucket.Lower)),
                Depth = bucket.Depth,
                LastUpdated = Timestamp.FromDateTimeOffset(bucket.LastUpdated),
            };
            wire.Nodes.Add(bucket.Nodes.Select(static n => Peer(new Protocol.DhtPeer(n.NodeId, n.PeerId))));
            wire.Replacements.Add(bucket.Replacements.Select(static n => Peer(new Protocol.DhtPeer(n.NodeId, n.PeerId))));
            response.Buckets.Add(wire);
        }

        return response;
    }

    private static byte[] IdBytes(BigInteger value)
    {
        var bytes = new byte[DhtId.Length];
        var raw = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        raw.AsSpan(Math.Max(0, raw.Length - DhtId.Length)).CopyTo(bytes.AsSpan(Math.Max(0, DhtId.Length - raw.Length)));
        return bytes;
    }

    private static WireDhtPeer Peer(Protocol.DhtPeer peer) =>
        new() { PeerId = peer.PeerId.ToBase58(), NodeId = ByteString.CopyFrom(peer.NodeId.ToBytes()) };

    private DhtId KeyOf(string text, ByteString id, string where)
    {
        if (text.Length > 0 == !id.IsEmpty)
        {
            GrpcStatus.ThrowInvalidArgument($"{where}: give exactly one of key (text) or key_id (20 bytes).");
        }

        if (text.Length > 0)
        {
            if (System.Text.Encoding.UTF8.GetByteCount(text) > _options.MaxKeyBytes)
            {
                GrpcStatus.ThrowInvalidArgument($"{where}: key is longer than {_options.MaxKeyBytes} bytes.");
            }

            return DhtId.FromKey(text);
        }

        if (!DhtId.TryFromBytes(id.Span, out var key))
        {
            GrpcStatus.ThrowInvalidArgument($"{where}: key_id is {id.Length} bytes; a key id is {DhtId.Length}.");
        }

        return key;
    }

    private DhtNode Node() =>
        runtime.Node ?? throw new RpcException(new Status(StatusCode.Unavailable, "the DHT node is starting"));

    /// <summary>A bad item is the caller's InvalidArgument; a Redis outage is "Unavailable, try later", with the reason.</summary>
    private async Task<T> WithNodeAsync<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (DhtRequestException ex)
        {
            GrpcStatus.ThrowInvalidArgument(ex.Message);
            throw;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            logger.StorageUnavailable(ex.Message, ex);
            GrpcStatus.ThrowUnavailable($"DHT storage (Redis) is unavailable: {ex.Message}");
            throw;
        }
    }
}
