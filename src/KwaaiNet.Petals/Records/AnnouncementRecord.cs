// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Protocol;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Values;

namespace KwaaiNet.Petals.Records;

/// <summary>
/// One DHT record to store: a dictionary entry under a text key (docs/records.md §2). The dht service's
/// <c>StoreItem</c> takes <see cref="Key"/> as text, <see cref="SubkeyBytes"/>, <see cref="Value"/> and
/// <see cref="ExpirationTime"/> as they are.
/// </summary>
/// <param name="Key">The DHT key as text, e.g. <c>Llama-3-1-8B-Instruct.17</c> or <c>_petals.models</c>.</param>
/// <param name="Subkey">The subkey as text: a base58 peer id or a dht prefix (a msgpack str on the wire).</param>
/// <param name="Value">The value bytes: a ServerInfo or a ModelInfo.</param>
/// <param name="ExpirationTime">DHT time (Unix seconds) at which the record expires.</param>
public sealed record AnnouncementRecord(string Key, string Subkey, ReadOnlyMemory<byte> Value, double ExpirationTime)
{
    /// <summary>The msgpack str of <see cref="Subkey"/>, as the DHT stores subkeys.</summary>
    public byte[] SubkeyBytes => DhtMsgPack.Str(Subkey);

    /// <summary>The record as a hivemind store item (key id <c>SHA1(msgpack str(key))</c>, not in cache).</summary>
    public DhtStoreItem ToStoreItem() => new(DhtId.FromKey(Key), SubkeyBytes, Value, ExpirationTime);
}
