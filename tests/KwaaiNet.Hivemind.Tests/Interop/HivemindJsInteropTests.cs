// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text.Json;
using Google.Protobuf;
using KwaaiNet.Hivemind.Node;
using KwaaiNet.Hivemind.Protocol;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Storage;
using KwaaiNet.Hivemind.Values;
using KwaaiNet.Hivemind.Wire;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Network;
using KwaaiNet.Libp2p.Peers;
using KwaaiNet.Libp2p.Protocols;
using KwaaiNet.Testing.Interop;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Hivemind.Tests.Interop;

/// <summary>
/// Our DHT (DhtProtocol and DhtNode on a real libp2p host) against the js peer's hivemind DHT stand-in
/// (<c>tests/interop/peer.mjs</c>, <c>hivemindServe</c>): the stand-in calls our rpc_ping/rpc_store/rpc_find, we call
/// its, and a node bootstrapped from it replicates to it. Requests and replies are hivemind's dht.proto messages
/// (<c>hivemind/dht/protocol.py</c>); dictionaries are the Ext 0x50 <c>DictionaryDHTValue</c>
/// (<c>hivemind/dht/storage.py</c>).
/// </summary>
[Trait("Category", "Interop")]
public sealed class HivemindJsInteropTests
{
    private const string PingHandler = "DHTProtocol.rpc_ping";
    private const string StoreHandler = "DHTProtocol.rpc_store";
    private const string FindHandler = "DHTProtocol.rpc_find";
    private static readonly TimeSpan TestLimit = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);

    // PingRequest{peer(2) = 5 bytes follow} with one byte: a truncated message.
    private static readonly byte[] TruncatedPing = [0x12, 0x05, 0x01];
    private static readonly byte[] ShortKey = [1, 2, 3];

    [Fact]
    public async Task StandInCallsOurNode_PingStoreFind_DecodeAndTheCallerJoinsOurRoutingTable()
    {
        using var cts = Limit();
        var ct = cts.Token;
        var jsNodeId = DhtId.Random();
        await using var js = await StartStandInAsync(DhtId.Random(), ct);
        await using var ours = await OurNode.StartAsync(DhtId.Random(), new DhtOptions(), ct);
        var jsPeer = PeerId.Parse(js.PeerId);
        var now = Now();

        // rpc_ping from the stand-in, with its node id.
        var pong = await CallOursAsync(js, ours, PingHandler, new PingRequest { Peer = Info(jsNodeId) }, PingResponse.Parser, ct);

        Assert.Equal(ours.NodeId.ToBytes(), pong.Peer.NodeId.ToByteArray());
        Assert.InRange(pong.DhtTime, now - 60, Now() + 60);
        Assert.False(pong.Available);
        Assert.True(ours.Protocol.RoutingTable.TryGetPeer(jsNodeId, out var jsInTable));
        Assert.Equal(jsPeer, jsInTable);

        // rpc_store: a regular value and two subkey entries of one dictionary.
        var regularKey = DhtId.FromKey("interop-regular-" + Guid.NewGuid());
        var dictionaryKey = DhtId.FromKey("interop-dictionary-" + Guid.NewGuid());
        var missingKey = DhtId.FromKey("interop-missing-" + Guid.NewGuid());
        var regularValue = DhtMsgPack.Str("regular value");
        var alice = DhtMsgPack.Str("alice");
        var bob = DhtMsgPack.Str("bob");
        var aliceValue = DhtMsgPack.Str("alice's value");
        var bobValue = DhtMsgPack.Str("bob's value");
        var regularExpiration = now + 600.25;
        var aliceExpiration = now + 300.5;
        var bobExpiration = now + 450.75;
        var store = StoreRequestOf(
            jsNodeId,
            (regularKey, DhtMsgPack.RegularValueTag.ToArray(), regularValue, regularExpiration),
            (dictionaryKey, alice, aliceValue, aliceExpiration),
            (dictionaryKey, bob, bobValue, bobExpiration));

        var stored = await CallOursAsync(js, ours, StoreHandler, store, StoreResponse.Parser, ct);

        Assert.Equal([true, true, true], stored.StoreOk);
        Assert.Equal(ours.NodeId.ToBytes(), stored.Peer.NodeId.ToByteArray());

        // rpc_find with the requester's node id: values, and the requester is not among its own nearest nodes.
        var find = new FindRequest { Peer = Info(jsNodeId), Keys = { Bytes(regularKey), Bytes(dictionaryKey), Bytes(missingKey) } };
        var found = await CallOursAsync(js, ours, FindHandler, find, FindResponse.Parser, ct);

        Assert.Equal(ours.NodeId.ToBytes(), found.Peer.NodeId.ToByteArray());
        Assert.Equal(3, found.Results.Count);
        Assert.Equal(ResultType.FoundRegular, found.Results[0].Type);
        Assert.Equal(regularValue, found.Results[0].Value.ToByteArray());
        Assert.Equal(regularExpiration, found.Results[0].ExpirationTime);
        Assert.Equal(ResultType.FoundDictionary, found.Results[1].Type);
        Assert.Equal(bobExpiration, found.Results[1].ExpirationTime);
        var dictionary = DhtDictionaryCodec.Decode(found.Results[1].Value.Span, DhtValueLimits.Default);
        Assert.Equal(bobExpiration, dictionary.LatestExpirationTime);
        var entries = dictionary.Entries.OrderBy(static e => e.ExpirationTime).ToList();
        Assert.Equal(2, entries.Count);
        AssertEntry(alice, aliceValue, aliceExpiration, entries[0]);
        AssertEntry(bob, bobValue, bobExpiration, entries[1]);
        Assert.Equal(ResultType.NotFound, found.Results[2].Type);
        Assert.True(found.Results[2].Value.IsEmpty);
        Assert.All(found.Results, static r => Assert.Empty(r.NearestNodeIds));

        // Without the requester's id, the stand-in is the one node we know: the routing table on the wire.
        var anonymous = await CallOursAsync(js, ours, FindHandler, new FindRequest { Keys = { Bytes(missingKey) } }, FindResponse.Parser, ct);

        var result = Assert.Single(anonymous.Results);
        Assert.Equal(jsNodeId.ToBytes(), Assert.Single(result.NearestNodeIds).ToByteArray());
        Assert.Equal(jsPeer.Multihash.ToArray(), Assert.Single(result.NearestPeerIds).ToByteArray());
    }

    [Fact]
    public async Task StandInSendsBadRequests_AnsweredInTheErrorArm_NothingStoredAndOurNodeKeepsServing()
    {
        using var cts = Limit();
        var ct = cts.Token;
        var jsNodeId = DhtId.Random();
        await using var js = await StartStandInAsync(DhtId.Random(), ct);
        await using var ours = await OurNode.StartAsync(DhtId.Random(), new DhtOptions(), ct);
        var key = DhtId.FromKey("interop-misaligned-" + Guid.NewGuid());
        var misaligned = StoreRequestOf(jsNodeId, (key, DhtMsgPack.RegularValueTag.ToArray(), DhtMsgPack.Str("v"), Now() + 60));
        misaligned.Keys.Add(Bytes(DhtId.FromKey("interop-second-" + Guid.NewGuid())));

        var misalignedError = await CallOursForErrorAsync(js, ours, StoreHandler, misaligned.ToByteArray(), ct);
        var malformedError = await CallOursForErrorAsync(js, ours, PingHandler, TruncatedPing, ct);
        var shortKeyError = await CallOursForErrorAsync(js, ours, FindHandler, new FindRequest { Keys = { ByteString.CopyFrom(ShortKey) } }.ToByteArray(), ct);

        Assert.Contains("misaligned", misalignedError, StringComparison.Ordinal);
        Assert.Contains("2 keys", misalignedError, StringComparison.Ordinal);
        Assert.Contains("malformed PingRequest", malformedError, StringComparison.Ordinal);
        Assert.Contains("key 0 is 3 bytes", shortKeyError, StringComparison.Ordinal);
        Assert.Null(await ours.Store.GetAsync(DhtTier.Storage, key, ct));

        // Our node still serves, and the refused request stored nothing.
        var pong = await CallOursAsync(js, ours, PingHandler, new PingRequest { Peer = Info(jsNodeId) }, PingResponse.Parser, ct);
        var found = await CallOursAsync(js, ours, FindHandler, new FindRequest { Keys = { Bytes(key) } }, FindResponse.Parser, ct);
        Assert.Equal(ours.NodeId.ToBytes(), pong.Peer.NodeId.ToByteArray());
        Assert.Equal(ResultType.NotFound, Assert.Single(found.Results).Type);
    }

    [Fact]
    public async Task WeCallTheStandIn_PingStoreFind_RoundTripRegularAndDictionaryValuesWithOurNodeId()
    {
        using var cts = Limit();
        var ct = cts.Token;
        var standInId = DhtId.Random();
        await using var js = await StartStandInAsync(standInId, ct);
        await using var ours = await OurNode.StartAsync(DhtId.Random(), new DhtOptions(), ct);
        var jsPeer = await ours.ConnectAsync(js, ct);
        var now = Now();
        var regularKey = DhtId.FromKey("interop-our-regular-" + Guid.NewGuid());
        var dictionaryKey = DhtId.FromKey("interop-our-dictionary-" + Guid.NewGuid());
        var missingKey = DhtId.FromKey("interop-our-missing-" + Guid.NewGuid());
        var regularValue = DhtMsgPack.Str("our regular value");
        var first = DhtMsgPack.Str("12D3KooWFirstSubkey");
        var second = DhtMsgPack.Str("12D3KooWSecondSubkey");
        var firstValue = DhtMsgPack.Str("first entry");
        var secondValue = DhtMsgPack.Str("second entry");
        var regularExpiration = now + 900.125;
        var firstExpiration = now + 360.5;
        var secondExpiration = now + 720.25;

        var pinged = await ours.Protocol.CallPingAsync(jsPeer, validate: false, ct);
        var stored = await ours.Protocol.CallStoreAsync(
            jsPeer,
            [
                new DhtStoreItem(regularKey, DhtMsgPack.RegularValueTag, regularValue, regularExpiration),
                new DhtStoreItem(dictionaryKey, first, firstValue, firstExpiration),
                new DhtStoreItem(dictionaryKey, second, secondValue, secondExpiration),
            ],
            ct);
        var found = await ours.Protocol.CallFindAsync(jsPeer, [regularKey, dictionaryKey, missingKey], ct);

        Assert.Equal(standInId, pinged);
        Assert.True(ours.Protocol.RoutingTable.TryGetPeer(standInId, out var inTable));
        Assert.Equal(jsPeer, inTable);
        Assert.Equal([true, true, true], stored);
        Assert.NotNull(found);
        var regular = found[regularKey].Item;
        Assert.NotNull(regular);
        Assert.False(regular.IsDictionary);
        Assert.Equal(regularValue, regular.Value.ToArray());
        Assert.Equal(regularExpiration, regular.ExpirationTime);
        var dictionary = found[dictionaryKey].Item;
        Assert.NotNull(dictionary);
        Assert.True(dictionary.IsDictionary);
        Assert.Equal(secondExpiration, dictionary.ExpirationTime);
        var entries = dictionary.Entries!.OrderBy(static e => e.ExpirationTime).ToList();
        Assert.Equal(2, entries.Count);
        AssertEntry(first, firstValue, firstExpiration, entries[0]);
        AssertEntry(second, secondValue, secondExpiration, entries[1]);
        Assert.Null(found[missingKey].Item);

        // Each of our requests reached the stand-in with our node id in peer.
        var ping = PingRequest.Parser.ParseFrom(await RequestSeenAsync(js, ours, PingHandler, ct));
        var store = StoreRequest.Parser.ParseFrom(await RequestSeenAsync(js, ours, StoreHandler, ct));
        var find = FindRequest.Parser.ParseFrom(await RequestSeenAsync(js, ours, FindHandler, ct));
        Assert.Equal(ours.NodeId.ToBytes(), ping.Peer.NodeId.ToByteArray());
        Assert.Equal(ours.NodeId.ToBytes(), store.Peer.NodeId.ToByteArray());
        Assert.Equal(ours.NodeId.ToBytes(), find.Peer.NodeId.ToByteArray());
        Assert.Equal([regularKey.ToBytes(), dictionaryKey.ToBytes(), dictionaryKey.ToBytes()], store.Keys.Select(static k => k.ToByteArray()));
        Assert.Equal([regularExpiration, firstExpiration, secondExpiration], store.ExpirationTime);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task NodeBootstrappedFromTheStandIn_Store_ReachesTheStandInOnlyWithReplicateToBootstraps(bool replicateToBootstraps)
    {
        using var cts = Limit();
        var ct = cts.Token;

        // Our node is the nearest to the key and stores one replica: only the bootstrap rule sends it to the stand-in.
        var key = IdOf(0x00, 0x01);
        var ourId = IdOf(0x00, 0x02);
        var standInId = IdOf(0xff, 0x00);
        var options = new DhtOptions { NumReplicas = 1, ReplicateToBootstraps = replicateToBootstraps, RpcTimeout = TimeSpan.FromSeconds(5) };
        await using var js = await StartStandInAsync(standInId, ct);
        await using var ours = await OurNode.StartAsync(ourId, options, ct);
        await using var other = await OurNode.StartAsync(DhtId.Random(), options, ct);
        var jsPeer = await ours.ConnectAsync(js, ct);
        var value = DhtMsgPack.Str("bootstrap replica " + replicateToBootstraps);
        var expiration = Now() + 600.5;

        var answered = await ours.Dht.BootstrapAsync([jsPeer], ct);
        var outcome = await ours.Dht.StoreAsync(key, value, expiration, cancellationToken: ct);

        Assert.Equal(1, answered);
        Assert.Equal(standInId, Assert.Single(ours.Protocol.RoutingTable.GetNearestNeighbors(key, 20)).NodeId);
        Assert.True(outcome.Stored);
        Assert.Equal(replicateToBootstraps ? 2 : 1, outcome.Replicas);
        Assert.Equal(value, (await ours.Store.GetAsync(DhtTier.Storage, key, ct))?.Value.ToArray());

        // Another of our nodes asks the stand-in for the key.
        Assert.Equal(jsPeer, await other.ConnectAsync(js, ct));
        var found = await other.Protocol.CallFindAsync(jsPeer, [key], ct);
        Assert.NotNull(found);
        var item = found[key].Item;
        if (replicateToBootstraps)
        {
            var storeCall = StoreRequest.Parser.ParseFrom(await RequestSeenAsync(js, ours, StoreHandler, ct));
            Assert.Equal(key.ToBytes(), Assert.Single(storeCall.Keys).ToByteArray());
            Assert.Equal(value, Assert.Single(storeCall.Values).ToByteArray());
            Assert.Equal(expiration, Assert.Single(storeCall.ExpirationTime));
            Assert.NotNull(item);
            Assert.Equal(value, item.Value.ToArray());
            Assert.Equal(expiration, item.ExpirationTime);
        }
        else
        {
            Assert.Null(item);
            Assert.DoesNotContain(js.PendingEvents(), static e => IsCall(e, StoreHandler));
        }

        // The stand-in learned our storing node (from its requests) and points the other node at it.
        Assert.Contains(found[key].Nearest, n => n.NodeId == ourId && n.PeerId == ours.PeerId);
    }

    private static CancellationTokenSource Limit()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TestLimit);
        return cts;
    }

    private static void AssertEntry(byte[] subkey, byte[] value, double expiration, DhtDictionaryEntry entry)
    {
        Assert.Equal(subkey, entry.Subkey.ToArray());
        Assert.Equal(value, entry.Value.ToArray());
        Assert.Equal(expiration, entry.ExpirationTime);
    }

    private static double Now() => DhtTime.Now(TimeProvider.System);

    private static DhtId IdOf(byte first, byte last)
    {
        var bytes = new byte[DhtId.Length];
        bytes[0] = first;
        bytes[^1] = last;
        return DhtId.FromBytes(bytes);
    }

    private static ByteString Bytes(DhtId id) => ByteString.CopyFrom(id.ToBytes());

    private static NodeInfo Info(DhtId id) => new() { NodeId = Bytes(id) };

    private static StoreRequest StoreRequestOf(DhtId sender, params (DhtId Key, byte[] Subkey, byte[] Value, double Expiration)[] items)
    {
        var request = new StoreRequest { Peer = Info(sender) };
        foreach (var (key, subkey, value, expiration) in items)
        {
            request.Keys.Add(Bytes(key));
            request.Subkeys.Add(ByteString.CopyFrom(subkey));
            request.Values.Add(ByteString.CopyFrom(value));
            request.ExpirationTime.Add(expiration);
            request.InCache.Add(false);
        }

        return request;
    }

    private static async Task<JsPeer> StartStandInAsync(DhtId nodeId, CancellationToken ct)
    {
        var js = await JsPeer.StartAsync(new JsPeerOptions { Kad = false }, ct);
        try
        {
            var served = await js.SendAsync("hivemindServe", new { nodeIdHex = Convert.ToHexStringLower(nodeId.ToBytes()) }, ct);
            Assert.Equal(Convert.ToHexStringLower(nodeId.ToBytes()), served.GetProperty("nodeIdHex").GetString());
            return js;
        }
        catch
        {
            await js.DisposeAsync();
            throw;
        }
    }

    /// <summary>The stand-in calls one of our handlers (<c>hivemindCall</c>); returns the reply's response arm parsed.</summary>
    private static async Task<T> CallOursAsync<T>(JsPeer js, OurNode ours, string handler, IMessage request, MessageParser<T> parser, CancellationToken ct)
        where T : IMessage<T>
    {
        var reply = await CallOursRawAsync(js, ours, handler, request.ToByteArray(), ct);
        Assert.False(reply.TryGetProperty("errorText", out var error), $"{handler} answered with an error: {error}");
        return parser.ParseFrom(Convert.FromHexString(reply.GetProperty("responseHex").GetString()!));
    }

    /// <summary>The stand-in calls one of our handlers; returns the error arm's text (and fails when a response came).</summary>
    private static async Task<string> CallOursForErrorAsync(JsPeer js, OurNode ours, string handler, byte[] request, CancellationToken ct)
    {
        var reply = await CallOursRawAsync(js, ours, handler, request, ct);
        Assert.False(reply.TryGetProperty("responseHex", out _), $"{handler} answered a bad request with a response");
        return reply.GetProperty("errorText").GetString()!;
    }

    private static Task<JsonElement> CallOursRawAsync(JsPeer js, OurNode ours, string handler, byte[] request, CancellationToken ct) =>
        js.SendAsync(
            "hivemindCall",
            new { peer = ours.PeerId.ToString(), addr = ours.Address.ToString(), handler, requestHex = Convert.ToHexStringLower(request) },
            ct);

    /// <summary>The request bytes of the next <c>hivemindCall</c> event of <paramref name="handler"/> from our node.</summary>
    private static async Task<byte[]> RequestSeenAsync(JsPeer js, OurNode ours, string handler, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(EventTimeout);
        var from = ours.PeerId.ToString();
        var call = await js.WaitForEventAsync("hivemindCall", e => IsCall(e, handler) && e.GetProperty("from").GetString() == from, timeout.Token);
        return Convert.FromHexString(call.GetProperty("requestHex").GetString()!);
    }

    private static bool IsCall(JsonElement e, string handler) =>
        e.GetProperty("event").GetString() == "hivemindCall" && e.GetProperty("handler").GetString() == handler;

    /// <summary>One of our DHT nodes on a real libp2p host on 127.0.0.1, built as the embedded node builds it.</summary>
    private sealed class OurNode : IAsyncDisposable
    {
        private readonly Libp2pHost _host;
        private readonly IdentifyService _identify;

        private OurNode(Libp2pHost host, IdentifyService identify, DhtNode dht, IDhtLocalStore store)
        {
            _host = host;
            _identify = identify;
            Dht = dht;
            Store = store;
        }

        public DhtNode Dht { get; }

        public DhtProtocol Protocol => Dht.Protocol;

        public DhtId NodeId => Dht.NodeId;

        public IDhtLocalStore Store { get; }

        public PeerId PeerId => _host.PeerId;

        public Multiaddr Address => _host.ListenAddresses[0].WithPeerId(_host.PeerId);

        public static async Task<OurNode> StartAsync(DhtId nodeId, DhtOptions options, CancellationToken ct)
        {
            ILoggerFactory logs = NullLoggerFactory.Instance;
            var host = new Libp2pHost(NodeIdentity.GenerateEd25519(), new PeerStore(TimeProvider.System), new Libp2pHostOptions(), logs);
            var identify = new IdentifyService(host, "kwaainet-aspire/interop-test", null, logs.CreateLogger<IdentifyService>());
            var unary = new UnaryCalls(host, logs.CreateLogger<UnaryCalls>());
            PingService.Register(host);
            identify.Start();
            var store = new InMemoryDhtLocalStore(Options.Create(options), TimeProvider.System);
            var protocol = new DhtProtocol(nodeId, store, new Libp2pDhtTransport(host, unary), options, TimeProvider.System, logs.CreateLogger<DhtProtocol>());
            protocol.RegisterHandlers(unary);
            var node = new OurNode(host, identify, new DhtNode(protocol, options, TimeProvider.System, logs.CreateLogger<DhtNode>()), store);
            try
            {
                await host.StartAsync([Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")], ct);
                return node;
            }
            catch
            {
                await node.DisposeAsync();
                throw;
            }
        }

        public async Task<PeerId> ConnectAsync(JsPeer js, CancellationToken ct) =>
            (await _host.ConnectAsync(Multiaddr.Parse(js.Addrs[0]), ct)).RemotePeer;

        public async ValueTask DisposeAsync()
        {
            await _host.DisposeAsync();
            _identify.Dispose();
            await Dht.DisposeAsync();
        }
    }
}
