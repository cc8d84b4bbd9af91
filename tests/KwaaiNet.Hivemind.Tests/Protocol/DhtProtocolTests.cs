// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf;
using KwaaiNet.Hivemind.Protocol;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Storage;
using KwaaiNet.Hivemind.Values;
using KwaaiNet.Hivemind.Wire;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Testing;

namespace KwaaiNet.Hivemind.Tests.Protocol;

/// <summary>hivemind's server semantics of rpc_ping, rpc_store and rpc_find (hivemind/dht/protocol.py), and bad input.</summary>
public sealed class DhtProtocolTests
{
    private static readonly byte[] Value1 = [0x01, 0x02, 0x03];
    private static readonly byte[] Value2 = [0x04, 0x05];

    [Fact]
    public async Task Ping_AnswersItsNodeIdAndClock_AndAddsTheCallerToTheRoutingTable()
    {
        await using var pair = ProtocolPair.Create();

        var reply = await pair.CallAsync("rpc_ping", new PingRequest { Peer = pair.ClientInfo }, PingResponse.Parser);

        Assert.Equal(pair.Server.NodeId.ToBytes(), reply.Peer.NodeId.ToByteArray());
        Assert.Equal(pair.Now, reply.DhtTime);
        Assert.False(reply.Available);
        await Poll.UntilAsync(() => pair.Server.RoutingTable.Contains(pair.Client.NodeId), TestContext.Current.CancellationToken);
        Assert.True(pair.Server.RoutingTable.TryGetPeer(pair.Client.NodeId, out var peer));
        Assert.Equal(pair.ClientPeer, peer);
    }

    [Fact]
    public async Task Ping_WithValidate_DialsTheCallerBackAndSaysAvailable()
    {
        await using var pair = ProtocolPair.Create();

        var reply = await pair.CallAsync("rpc_ping", new PingRequest { Peer = pair.ClientInfo, Validate = true }, PingResponse.Parser);

        Assert.True(reply.Available);
    }

    [Fact]
    public async Task Ping_WithValidate_FromAnUnreachableCaller_IsNotAvailable()
    {
        await using var pair = ProtocolPair.Create();
        pair.Network.Remove(pair.ClientPeer);

        var result = await pair.Server.ServeAsync(
            new Libp2p.Protocols.UnaryRequest(pair.ClientPeer, pair.Server.PingProtocol, new PingRequest { Peer = pair.ClientInfo, Validate = true }.ToByteArray()),
            TestContext.Current.CancellationToken);

        Assert.False(PingResponse.Parser.ParseFrom(result.Response!.Value.Span).Available);
        Assert.False(pair.Server.RoutingTable.Contains(pair.Client.NodeId));
    }

    [Fact]
    public async Task Ping_Empty_IsAnsweredWithoutTouchingTheRoutingTable()
    {
        await using var pair = ProtocolPair.Create();

        var reply = await pair.CallAsync("rpc_ping", new PingRequest(), PingResponse.Parser);

        Assert.Equal(DhtId.Length, reply.Peer.NodeId.Length);
        Assert.Equal(0, pair.Server.RoutingTable.Count);
    }

    [Fact]
    public async Task StoreThenFind_RegularValue_ComesBackWithItsExpiration()
    {
        await using var pair = ProtocolPair.Create();
        var key = DhtId.FromKey("model.0");

        var stored = await pair.CallAsync("rpc_store", Store((key, DhtMsgPack.RegularValueTag.ToArray(), Value1, pair.Now + 60, false)), StoreResponse.Parser);
        var found = await pair.CallAsync("rpc_find", Find(pair, key), FindResponse.Parser);

        Assert.Equal([true], stored.StoreOk);
        Assert.Equal(pair.Server.NodeId.ToBytes(), stored.Peer.NodeId.ToByteArray());
        var result = Assert.Single(found.Results);
        Assert.Equal(ResultType.FoundRegular, result.Type);
        Assert.Equal(Value1, result.Value.ToByteArray());
        Assert.Equal(pair.Now + 60, result.ExpirationTime);
    }

    [Fact]
    public async Task Store_ReplacesOnlyOnAStrictlyLaterExpiration()
    {
        await using var pair = ProtocolPair.Create();
        var key = DhtId.FromKey("k");
        var tag = DhtMsgPack.RegularValueTag.ToArray();
        var t = pair.Now + 100;

        var reply = await pair.CallAsync(
            "rpc_store",
            Store((key, tag, Value1, t, false), (key, tag, Value2, t, false), (key, tag, Value2, t - 1, false), (key, tag, Value2, t + 1, false), (key, tag, Value1, pair.Now - 1, false)),
            StoreResponse.Parser);
        var found = await pair.CallAsync("rpc_find", Find(pair, key), FindResponse.Parser);

        Assert.Equal([true, false, false, true, false], reply.StoreOk);
        Assert.Equal(Value2, found.Results[0].Value.ToByteArray());
        Assert.Equal(t + 1, found.Results[0].ExpirationTime);
    }

    [Fact]
    public async Task StoreSubkeys_FindReturnsADictionaryWithEveryLiveEntry()
    {
        await using var pair = ProtocolPair.Create();
        var key = DhtId.FromKey("model.1");
        var alice = DhtMsgPack.Str(NodeIdentity.GenerateEd25519().PeerId.ToBase58());
        var bob = DhtMsgPack.Str(NodeIdentity.GenerateEd25519().PeerId.ToBase58());

        await pair.CallAsync("rpc_store", Store((key, alice, Value1, pair.Now + 30, false), (key, bob, Value2, pair.Now + 90, false)), StoreResponse.Parser);
        pair.Time.Advance(TimeSpan.FromSeconds(10));
        var found = await pair.CallAsync("rpc_find", Find(pair, key), FindResponse.Parser);

        var result = Assert.Single(found.Results);
        Assert.Equal(ResultType.FoundDictionary, result.Type);
        Assert.Equal(0x50, ExtType(result.Value.Span));
        var dictionary = DhtDictionaryCodec.Decode(result.Value.Span, DhtValueLimits.Default);
        Assert.Equal(2, dictionary.Entries.Count);
        Assert.Contains(dictionary.Entries, e => e.Subkey.Span.SequenceEqual(alice) && e.Value.Span.SequenceEqual(Value1));
        Assert.Contains(dictionary.Entries, e => e.Subkey.Span.SequenceEqual(bob) && e.Value.Span.SequenceEqual(Value2));
        Assert.Equal(pair.Now + 80, result.ExpirationTime);

        // Alice's entry expires on its own; Bob's stays.
        pair.Time.Advance(TimeSpan.FromSeconds(25));
        var later = await pair.CallAsync("rpc_find", Find(pair, key), FindResponse.Parser);
        var entry = Assert.Single(DhtDictionaryCodec.Decode(later.Results[0].Value.Span, DhtValueLimits.Default).Entries);
        Assert.Equal(bob, entry.Subkey.ToArray());
    }

    [Fact]
    public async Task StoreWholeDictionary_MergesItsEntries()
    {
        await using var pair = ProtocolPair.Create();
        var key = DhtId.FromKey("d");
        var a = DhtMsgPack.Str("a");
        var b = DhtMsgPack.Str("b");
        await pair.CallAsync("rpc_store", Store((key, a, Value1, pair.Now + 10, false)), StoreResponse.Parser);
        var whole = DhtDictionaryCodec.Encode([new DhtDictionaryEntry(a, Value2, pair.Now + 20), new DhtDictionaryEntry(b, Value2, pair.Now + 30)], pair.Now + 30);

        var reply = await pair.CallAsync("rpc_store", Store((key, [], whole, pair.Now + 30, false)), StoreResponse.Parser);
        var item = await pair.ServerStore.GetAsync(DhtTier.Storage, key, TestContext.Current.CancellationToken);

        Assert.Equal([true], reply.StoreOk);
        Assert.NotNull(item);
        Assert.Equal(2, item.Entries!.Count);
        Assert.All(item.Entries, e => Assert.Equal(Value2, e.Value.ToArray()));
    }

    [Fact]
    public async Task StoreInCache_IsServedByFind_FromTheCacheTier()
    {
        await using var pair = ProtocolPair.Create();
        var key = DhtId.FromKey("cached");

        await pair.CallAsync("rpc_store", Store((key, DhtMsgPack.RegularValueTag.ToArray(), Value1, pair.Now + 60, true)), StoreResponse.Parser);
        var found = await pair.CallAsync("rpc_find", Find(pair, key), FindResponse.Parser);

        Assert.Null(await pair.ServerStore.GetAsync(DhtTier.Storage, key, TestContext.Current.CancellationToken));
        Assert.NotNull(await pair.ServerStore.GetAsync(DhtTier.Cache, key, TestContext.Current.CancellationToken));
        Assert.Equal(ResultType.FoundRegular, found.Results[0].Type);
    }

    [Fact]
    public async Task Find_ReturnsNearestNodesFromTheRoutingTable_WithoutTheRequester()
    {
        await using var pair = ProtocolPair.Create();
        var others = Enumerable.Range(0, 30).Select(_ => (DhtId.Random(), NodeIdentity.GenerateEd25519().PeerId)).ToList();
        foreach (var (nodeId, peerId) in others)
        {
            pair.Server.RoutingTable.AddOrUpdateNode(nodeId, peerId);
        }

        pair.Server.RoutingTable.AddOrUpdateNode(pair.Client.NodeId, pair.ClientPeer);
        var key = DhtId.Random();

        var found = await pair.CallAsync("rpc_find", Find(pair, key), FindResponse.Parser);

        var result = Assert.Single(found.Results);
        Assert.Equal(ResultType.NotFound, result.Type);
        var expected = pair.Server.RoutingTable.GetNearestNeighbors(key, 20, pair.Client.NodeId).Select(static n => Convert.ToHexString(n.NodeId.ToBytes())).ToList();
        Assert.Equal(expected, [.. result.NearestNodeIds.Select(static n => Convert.ToHexString(n.Span))]);
        Assert.DoesNotContain(Convert.ToHexString(pair.Client.NodeId.ToBytes()), result.NearestNodeIds.Select(static n => Convert.ToHexString(n.Span)));
        Assert.Equal(result.NearestNodeIds.Count, result.NearestPeerIds.Count);
        var peer = PeerId.FromMultihash(result.NearestPeerIds[0].Span);
        Assert.True(pair.Server.RoutingTable.TryGetNode(peer, out var nodeOfPeer));
        Assert.Equal(result.NearestNodeIds[0].ToByteArray(), nodeOfPeer.ToBytes());
    }

    [Fact]
    public async Task ClientCalls_RoundTripThroughTheNetwork()
    {
        await using var pair = ProtocolPair.Create();
        var ct = TestContext.Current.CancellationToken;
        var key = DhtId.FromKey("client");

        var nodeId = await pair.Client.CallPingAsync(pair.ServerPeer, validate: true, ct);
        var stored = await pair.Client.CallStoreAsync(pair.ServerPeer, [new DhtStoreItem(key, DhtMsgPack.Str("sub"), Value1, pair.Now + 5)], ct);
        var found = await pair.Client.CallFindAsync(pair.ServerPeer, [key, DhtId.Random()], ct);

        Assert.Equal(pair.Server.NodeId, nodeId);
        Assert.Equal([true], stored);
        Assert.NotNull(found);
        var entry = Assert.Single(found[key].Item!.Entries!);
        Assert.Equal(Value1, entry.Value.ToArray());
        Assert.Null(found.Values.Last().Item);
        await Poll.UntilAsync(() => pair.Client.RoutingTable.Contains(pair.Server.NodeId), ct);
    }

    [Fact]
    public async Task ClientCall_ToAPeerThatLeft_ReturnsNullAndDropsItFromTheRoutingTable()
    {
        await using var pair = ProtocolPair.Create();
        var ct = TestContext.Current.CancellationToken;
        await pair.Client.CallPingAsync(pair.ServerPeer, validate: false, ct);
        await Poll.UntilAsync(() => pair.Client.RoutingTable.Contains(pair.Server.NodeId), ct);
        pair.Network.Remove(pair.ServerPeer);

        var found = await pair.Client.CallFindAsync(pair.ServerPeer, [DhtId.Random()], ct);

        Assert.Null(found);
        Assert.False(pair.Client.RoutingTable.Contains(pair.Server.NodeId));
    }

    // ---- bad input: a clear error, nothing stored, the node keeps serving ----

    [Fact]
    public async Task MalformedProtobuf_IsAnErrorAndTheNodeKeepsServing()
    {
        await using var pair = ProtocolPair.Create();

        var bad = await pair.RawAsync("rpc_store", [0x12, 0xff, 0xff, 0xff, 0xff, 0x0f]);
        var ping = await pair.CallAsync("rpc_ping", new PingRequest(), PingResponse.Parser);

        Assert.Contains("malformed StoreRequest", bad.Error, StringComparison.Ordinal);
        Assert.Equal(DhtId.Length, ping.Peer.NodeId.Length);
    }

    [Fact]
    public async Task MisalignedStoreLists_AreRefusedWhole()
    {
        await using var pair = ProtocolPair.Create();
        var key = DhtId.FromKey("m");
        var request = Store((key, DhtMsgPack.RegularValueTag.ToArray(), Value1, pair.Now + 10, false), (DhtId.FromKey("m2"), DhtMsgPack.RegularValueTag.ToArray(), Value1, pair.Now + 10, false));
        request.Values.RemoveAt(1);

        var result = await pair.RawAsync("rpc_store", request.ToByteArray());

        Assert.Contains("misaligned", result.Error, StringComparison.Ordinal);
        Assert.Null(await pair.ServerStore.GetAsync(DhtTier.Storage, key, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ShortSubkeyList_IsRefusedRatherThanSilentlyTruncated()
    {
        await using var pair = ProtocolPair.Create();
        var key = DhtId.FromKey("s");
        var request = Store((key, DhtMsgPack.RegularValueTag.ToArray(), Value1, pair.Now + 10, false));
        request.Subkeys.Clear();

        var result = await pair.RawAsync("rpc_store", request.ToByteArray());

        Assert.Contains("misaligned", result.Error, StringComparison.Ordinal);
        Assert.Null(await pair.ServerStore.GetAsync(DhtTier.Storage, key, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task OversizeValue_IsRefusedAndNothingInTheRequestIsStored()
    {
        await using var pair = ProtocolPair.Create(o => o.MaxValueBytes = 16);
        var good = DhtId.FromKey("good");
        var request = Store((good, DhtMsgPack.RegularValueTag.ToArray(), Value1, pair.Now + 10, false), (DhtId.FromKey("big"), DhtMsgPack.RegularValueTag.ToArray(), new byte[17], pair.Now + 10, false));

        var result = await pair.RawAsync("rpc_store", request.ToByteArray());

        Assert.Contains("item 1: value is 17 bytes", result.Error, StringComparison.Ordinal);
        Assert.Null(await pair.ServerStore.GetAsync(DhtTier.Storage, good, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task WholeDictionaryWithTheWrongExtType_IsRefused()
    {
        await using var pair = ProtocolPair.Create();
        var key = DhtId.FromKey("x");

        // A tuple (Ext 0x40) of an empty list where a dictionary (Ext 0x50) belongs.
        var result = await pair.RawAsync("rpc_store", Store((key, [], [0xd4, 0x40, 0x90], pair.Now + 10, false)).ToByteArray());

        Assert.Contains("item 0: the dictionary value is malformed", result.Error, StringComparison.Ordinal);
        Assert.Null(await pair.ServerStore.GetAsync(DhtTier.Storage, key, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task DictionaryEntryWithAStrValue_IsRefused()
    {
        await using var pair = ProtocolPair.Create();
        var key = DhtId.FromKey("y");
        var whole = DhtDictionaryCodec.Encode([new DhtDictionaryEntry(DhtMsgPack.Str("a"), Value1, pair.Now + 20)], pair.Now + 20);

        // Turn the entry's bin (c4 03 010203) into a str (a3 010203): hivemind's values are bytes.
        var index = whole.AsSpan().IndexOf((ReadOnlySpan<byte>)[0xc4, 0x03, 0x01, 0x02, 0x03]);
        var asStr = whole[..index].Concat(new byte[] { 0xa3, 0x01, 0x02, 0x03 }).Concat(whole[(index + 5)..]).ToArray();
        asStr[2]--; // the ext8 payload length shrinks by one byte

        var result = await pair.RawAsync("rpc_store", Store((key, [], asStr, pair.Now + 20, false)).ToByteArray());

        Assert.NotNull(result.Error);
        Assert.Contains("malformed", result.Error, StringComparison.Ordinal);
        Assert.Null(await pair.ServerStore.GetAsync(DhtTier.Storage, key, TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("d9")]       // a str8 header without its length
    [InlineData("a3616263ff")] // a str followed by a stray byte
    [InlineData("dc0001")]   // an array16 promising an element that is not there
    [InlineData("91a161")]   // a list: hivemind would crash loading it as a dictionary key
    [InlineData("80")]       // a map, likewise
    public async Task SubkeyThatIsNotOneHashableMsgpackObject_IsRefused(string subkeyHex)
    {
        await using var pair = ProtocolPair.Create();
        var key = DhtId.FromKey("z");

        var result = await pair.RawAsync("rpc_store", Store((key, Convert.FromHexString(subkeyHex), Value1, pair.Now + 20, false)).ToByteArray());

        Assert.Contains("subkey is not a valid msgpack subkey", result.Error, StringComparison.Ordinal);
        Assert.Null(await pair.ServerStore.GetAsync(DhtTier.Storage, key, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task KeyOfTheWrongLength_IsRefused()
    {
        await using var pair = ProtocolPair.Create();
        var request = new FindRequest { Keys = { ByteString.CopyFrom(1, 2, 3) } };

        var result = await pair.RawAsync("rpc_find", request.ToByteArray());

        Assert.Contains("key 0 is 3 bytes", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TooManyKeys_AreRefused()
    {
        await using var pair = ProtocolPair.Create(o => o.MaxKeysPerRequest = 4);
        var request = new FindRequest();
        request.Keys.Add(Enumerable.Range(0, 5).Select(_ => ByteString.CopyFrom(DhtId.Random().ToBytes())));

        var result = await pair.RawAsync("rpc_find", request.ToByteArray());

        Assert.Contains("5 keys in one request", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpirationFarInTheFuture_IsRefused()
    {
        await using var pair = ProtocolPair.Create();
        var key = DhtId.FromKey("future");

        var result = await pair.RawAsync("rpc_store", Store((key, DhtMsgPack.RegularValueTag.ToArray(), Value1, pair.Now + (48 * 3600), false)).ToByteArray());

        Assert.Contains("more than", result.Error, StringComparison.Ordinal);
        Assert.Null(await pair.ServerStore.GetAsync(DhtTier.Storage, key, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task StrictMode_AcceptsAPeerIdSubkeyOnlyFromThatPeer()
    {
        await using var pair = ProtocolPair.Create(o => o.StrictSubkeys = true);
        var key = DhtId.FromKey("strict");
        var mine = DhtMsgPack.Str(pair.ClientPeer.ToBase58());
        var theirs = DhtMsgPack.Str(NodeIdentity.GenerateEd25519().PeerId.ToBase58());

        var ok = await pair.CallAsync("rpc_store", Store((key, mine, Value1, pair.Now + 20, false)), StoreResponse.Parser);
        var refused = await pair.RawAsync("rpc_store", Store((key, theirs, Value1, pair.Now + 20, false)).ToByteArray());

        Assert.Equal([true], ok.StoreOk);
        Assert.Contains("another peer's id", refused.Error, StringComparison.Ordinal);
        Assert.Single((await pair.ServerStore.GetAsync(DhtTier.Storage, key, TestContext.Current.CancellationToken))!.Entries!);
    }

    [Fact]
    public async Task NonStrictMode_AcceptsAnyPeerIdSubkey_AsHivemindDoes()
    {
        await using var pair = ProtocolPair.Create();
        var theirs = DhtMsgPack.Str(NodeIdentity.GenerateEd25519().PeerId.ToBase58());

        var ok = await pair.CallAsync("rpc_store", Store((DhtId.FromKey("lenient"), theirs, Value1, pair.Now + 20, false)), StoreResponse.Parser);

        Assert.Equal([true], ok.StoreOk);
    }

    [Fact]
    public async Task UnknownHandler_IsAnError()
    {
        await using var pair = ProtocolPair.Create();

        var result = await pair.Server.ServeAsync(new Libp2p.Protocols.UnaryRequest(pair.ClientPeer, "DHTProtocol.rpc_nope", ReadOnlyMemory<byte>.Empty), TestContext.Current.CancellationToken);

        Assert.Contains("does not serve", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void HandlerNames_FollowHivemind_WithAnOptionalNamespace()
    {
        Assert.Equal("DHTProtocol.rpc_find", DhtProtocol.HandlerName(null, "rpc_find"));
        Assert.Equal("petals::DHTProtocol.rpc_find", DhtProtocol.HandlerName("petals", "rpc_find"));
    }

    private static FindRequest Find(ProtocolPair pair, params DhtId[] keys)
    {
        var request = new FindRequest { Peer = pair.ClientInfo };
        request.Keys.Add(keys.Select(static k => ByteString.CopyFrom(k.ToBytes())));
        return request;
    }

    private static StoreRequest Store(params (DhtId Key, byte[] Subkey, byte[] Value, double Expiration, bool InCache)[] items)
    {
        var request = new StoreRequest();
        foreach (var (key, subkey, value, expiration, inCache) in items)
        {
            request.Keys.Add(ByteString.CopyFrom(key.ToBytes()));
            request.Subkeys.Add(ByteString.CopyFrom(subkey));
            request.Values.Add(ByteString.CopyFrom(value));
            request.ExpirationTime.Add(expiration);
            request.InCache.Add(inCache);
        }

        return request;
    }

    private static int ExtType(ReadOnlySpan<byte> value) => value[0] switch
    {
        0xc7 => value[2],
        0xc8 => value[3],
        0xc9 => value[5],
        _ => value[1],
    };
}
