// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf;
using Grpc.Core;
using KwaaiNet.Contracts.Dht.V1;
using KwaaiNet.Hivemind.Node;
using KwaaiNet.Hivemind.Protocol;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Values;

namespace KwaaiNet.Hivemind.Client;

/// <summary>The dht service's gRPC API, for a module in another process (the split deployment).</summary>
public sealed class GrpcDhtClient(Dht.DhtClient dht) : IDhtClient
{
    /// <inheritdoc/>
    public async Task<IReadOnlyList<DhtStoreOutcome>> StoreAsync(IReadOnlyList<DhtStoreItem> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var request = new StoreRequest();
        request.Items.Add(items.Select(static i => new StoreItem
        {
            KeyId = ByteString.CopyFrom(i.Key.ToBytes()),
            Subkey = ByteString.CopyFrom(i.Subkey.Span),
            Value = ByteString.CopyFrom(i.Value.Span),
            ExpirationTime = i.ExpirationTime,
        }));
        var response = await CallAsync(() => dht.StoreAsync(request, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        if (response.Results.Count != items.Count)
        {
            throw new DhtUnavailableException($"the dht service answered {response.Results.Count} results for {items.Count} items");
        }

        return [.. response.Results.Select(static r => new DhtStoreOutcome(r.Stored, r.Replicas))];
    }

    /// <inheritdoc/>
    public async Task<DhtItem?> GetAsync(DhtId key, bool latest, CancellationToken cancellationToken)
    {
        var request = new GetRequest { KeyId = ByteString.CopyFrom(key.ToBytes()), Latest = latest };
        var response = await CallAsync(() => dht.GetAsync(request, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        if (!response.Found)
        {
            return null;
        }

        return response.IsDictionary
            ? DhtItem.Dictionary([.. response.Entries.Select(static e => new DhtDictionaryEntry(e.Subkey.Memory, e.Value.Memory, e.ExpirationTime))])
            : DhtItem.Regular(response.Value.Memory, response.ExpirationTime);
    }

    private static async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.InvalidArgument)
        {
            throw new ArgumentException($"the dht service refused the request: {ex.Status.Detail}", ex);
        }
        catch (RpcException ex) when (ex.StatusCode is not StatusCode.Cancelled)
        {
            throw new DhtUnavailableException($"the dht service did not answer ({ex.StatusCode}): {ex.Status.Detail}", ex);
        }
    }
}
