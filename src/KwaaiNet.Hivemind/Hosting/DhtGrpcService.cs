// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using KwaaiNet.Contracts.Dht.V1;
using KwaaiNet.Contracts.Hosting;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace KwaaiNet.Hivemind.Hosting;

/// <summary>The dht module's internal gRPC API: validates, maps and delegates to the record store.</summary>
internal sealed class DhtGrpcService(
    IDhtLocalStore store,
    IOptions<DhtOptions> options,
    TimeProvider timeProvider,
    ILogger<DhtGrpcService> logger) : Dht.DhtBase
{
    /// <summary>The issue that brings Kademlia routing.</summary>
    private const int KademliaIssue = 4;

    private readonly DhtOptions _options = options.Value;

    public override async Task<StoreResponse> Store(StoreRequest request, ServerCallContext context)
    {
        CheckKey(request.Key);
        if (request.Subkey.Length > _options.MaxSubkeyBytes)
        {
            GrpcStatus.ThrowInvalidArgument($"subkey is {request.Subkey.Length} bytes; at most {_options.MaxSubkeyBytes} are accepted.");
        }

        if (request.Value.Length > _options.MaxValueBytes)
        {
            GrpcStatus.ThrowInvalidArgument($"value is {request.Value.Length} bytes; at most {_options.MaxValueBytes} are accepted.");
        }

        if (request.ExpirationTime is null)
        {
            GrpcStatus.ThrowInvalidArgument("expiration_time is required.");
        }

        var expiration = request.ExpirationTime.ToDateTimeOffset();
        if (expiration > timeProvider.GetUtcNow() + _options.MaxExpirationAhead)
        {
            GrpcStatus.ThrowInvalidArgument($"expiration_time is more than {_options.MaxExpirationAhead} ahead.");
        }

        var key = IdOf(request.Key);
        var expirationTime = DhtTime.ToDhtTime(expiration);
        var stored = await WithStorageAsync(() => request.Subkey.IsEmpty
            ? store.StoreAsync(DhtTier.Storage, key, request.Value.Memory, expirationTime, context.CancellationToken)
            : store.StoreSubkeyAsync(DhtTier.Storage, key, request.Subkey.Memory, request.Value.Memory, expirationTime, context.CancellationToken));
        return new StoreResponse { Stored = stored };
    }

    public override async Task<GetResponse> Get(GetRequest request, ServerCallContext context)
    {
        CheckKey(request.Key);
        var item = await WithStorageAsync(() => store.GetAsync(DhtTier.Storage, IdOf(request.Key), context.CancellationToken));
        var response = new GetResponse { Found = item is not null };
        if (item is { Entries: null })
        {
            response.Values.Add(ValueOf(ReadOnlyMemory<byte>.Empty, item.Value, item.ExpirationTime));
        }
        else if (item is { Entries: { } entries })
        {
            foreach (var entry in entries)
            {
                response.Values.Add(ValueOf(entry.Subkey, entry.Value, entry.ExpirationTime));
            }
        }

        return response;
    }

    public override Task<FindNearestResponse> FindNearest(FindNearestRequest request, ServerCallContext context)
    {
        throw GrpcStatus.NotBuiltYet("Kademlia routing (FindNearest)", KademliaIssue);
    }

    /// <summary>A 20-byte key is already a DHT id; any other key is taken as a msgpack-encoded key and hashed.</summary>
    private static DhtId IdOf(ByteString key) =>
        DhtId.TryFromBytes(key.Span, out var id) ? id : DhtId.FromMsgPackKey(key.Span);

    private static DhtValue ValueOf(ReadOnlyMemory<byte> subkey, ReadOnlyMemory<byte> value, double expirationTime) => new()
    {
        Subkey = ByteString.CopyFrom(subkey.Span),
        Value = ByteString.CopyFrom(value.Span),
        ExpirationTime = Timestamp.FromDateTimeOffset(DhtTime.ToDateTimeOffset(expirationTime)),
    };

    private void CheckKey(ByteString key)
    {
        if (key.IsEmpty || key.Length > _options.MaxKeyBytes)
        {
            GrpcStatus.ThrowInvalidArgument($"key must be 1 to {_options.MaxKeyBytes} bytes (got {key.Length}).");
        }
    }

    /// <summary>A Redis outage is the caller's "Unavailable, try later", with the reason, not an opaque "Unknown".</summary>
    private async Task<T> WithStorageAsync<T>(Func<ValueTask<T>> operation)
    {
        try
        {
            return await operation();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            logger.StorageUnavailable(ex.Message, ex);
            GrpcStatus.ThrowUnavailable($"DHT storage (Redis) is unavailable: {ex.Message}");
            throw;
        }
    }
}
