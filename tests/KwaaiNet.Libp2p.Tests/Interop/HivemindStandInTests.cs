// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Binary;
using System.Text.Json;
using Google.Protobuf;
using KwaaiNet.Libp2p.Framing;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Protocols;
using KwaaiNet.Libp2p.Tests.Network;
using KwaaiNet.Testing.Interop;

namespace KwaaiNet.Libp2p.Tests.Interop;

/// <summary>
/// Our libp2p host against the hivemind DHT stand-in of the js peer (<c>hivemindServe</c>, <c>hivemindCall</c>):
/// DHTProtocol.rpc_ping/rpc_store/rpc_find in p2pd's unary framing, with hivemind's dht.proto messages built here by
/// field number (research libp2p.md §5.3–5.4, kwaainet-upstream.md §4.1).
/// </summary>
[Trait("Category", "Interop")]
public sealed class HivemindStandInTests
{
    private const string Ping = "DHTProtocol.rpc_ping";
    private const string Store = "DHTProtocol.rpc_store";
    private const string Find = "DHTProtocol.rpc_find";

    // The peer-ids spec's Ed25519 key: its peer id is the target inside the research request frame.
    private const string SpecSeed = "7e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d";

    // Research libp2p.md §5.4: callId 00..0f, target = the spec peer id, PingRequest{peer{node_id = 20 × cd}}.
    private const string PingRequestHex = "12160a14cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd";
    private const string ResearchPingFrameHex =
        "6c0a10000102030405060708090a0b0c0d0e0f1a580a260024080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e"
        + "121444485450726f746f636f6c2e7270635f70696e67" + "1a18" + PingRequestHex;

    private const byte RegularTag = 0xc0;
    private static readonly byte[] StandInNodeId = Filled(0xab);
    private static readonly byte[] OurNodeId = Filled(0xcd);
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);
    private static readonly byte[] NearestCandidates = [0x70, 0x01, 0x30, 0x0f];

    [Fact]
    public async Task RpcPing_TheResearchRequestFrame_AnswersWithTheStandInsNodeIdAndTime()
    {
        using var cts = TestTimeout.Start(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        await using var js = await StartStandInAsync(SpecSeed, ct);
        await using var ours = await TestNode.StartAsync(cancellationToken: ct);
        var jsId = await ConnectAsync(ours, js, ct);

        await using var stream = await ours.Host.OpenStreamAsync(jsId, [Ping], ct);
        await stream.Stream.WriteAsync(Convert.FromHexString(ResearchPingFrameHex), ct);
        await stream.Stream.FlushAsync(ct);
        var reply = await LengthPrefixed.ReadAsync(stream.Stream, 64 * 1024, ct);

        Assert.NotNull(reply);
        var frame = ProtoFields.Parse(reply);
        Assert.Equal("000102030405060708090a0b0c0d0e0f", Convert.ToHexStringLower(frame.Bytes(1)));
        var unaryResponse = ProtoFields.Parse(frame.Bytes(4));
        Assert.Null(unaryResponse.BytesOrNull(2));
        var pong = ProtoFields.Parse(unaryResponse.Bytes(1));
        Assert.Equal(StandInNodeId, ProtoFields.Parse(pong.Bytes(2)).Bytes(1));
        var dhtTime = pong.Double(4);
        Assert.InRange(dhtTime, NowSeconds() - 60, NowSeconds() + 60);
        // available = false is the proto3 default, so it is not on the wire (Python omits it too).
        Assert.False(pong.Has(5));

        var call = await WaitForEventAsync(js, "hivemindCall", ct);
        Assert.Equal(ours.PeerId.ToString(), call.GetProperty("from").GetString());
        Assert.Equal(Ping, call.GetProperty("handler").GetString());
        Assert.Equal(PingRequestHex, call.GetProperty("requestHex").GetString());

        // The ping's node id joined the stand-in's known nodes, with our peer id as its address.
        var found = await FindAsync(ours, jsId, [Filled(0x01)], requesterNodeId: null, ct);
        var result = Assert.Single(found.Results);
        Assert.Equal(0, result.Type);
        Assert.Equal(OurNodeId, Assert.Single(result.NearestNodeIds));
        Assert.Equal(ours.PeerId.Multihash.ToArray(), Assert.Single(result.NearestPeerIds));
    }

    [Fact]
    public async Task RpcStore_RegularValue_RpcFindReturnsItAndOnlyALaterExpirationReplacesIt()
    {
        using var cts = TestTimeout.Start(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        await using var js = await StartStandInAsync(null, ct);
        await using var ours = await TestNode.StartAsync(cancellationToken: ct);
        var jsId = await ConnectAsync(ours, js, ct);
        var key = Filled(0x11);
        var expiration = NowSeconds() + 600.25;

        var first = await StoreAsync(ours, jsId, [new(key, [RegularTag], "first"u8.ToArray(), expiration)], ct);
        var earlier = await StoreAsync(ours, jsId, [new(key, [RegularTag], "earlier"u8.ToArray(), expiration - 1)], ct);
        var same = await StoreAsync(ours, jsId, [new(key, [RegularTag], "same"u8.ToArray(), expiration)], ct);
        var expired = await StoreAsync(ours, jsId, [new(Filled(0x12), [RegularTag], "old"u8.ToArray(), NowSeconds() - 10)], ct);
        var found = await FindAsync(ours, jsId, [key, Filled(0x12)], OurNodeId, ct);

        Assert.Equal([true], first.StoreOk);
        Assert.Equal(StandInNodeId, first.NodeId);
        Assert.Equal([false], earlier.StoreOk);
        Assert.Equal([false], same.StoreOk);
        Assert.Equal([false], expired.StoreOk);
        Assert.Equal(StandInNodeId, found.NodeId);
        Assert.Equal(2, found.Results.Count);
        Assert.Equal(1, found.Results[0].Type);
        Assert.Equal("first"u8.ToArray(), found.Results[0].Value);
        Assert.Equal(expiration, found.Results[0].Expiration);
        Assert.Equal(0, found.Results[1].Type);
        // The requester (our node id, known from the stores) is never among its own nearest nodes.
        Assert.Empty(found.Results[0].NearestNodeIds);

        var later = await StoreAsync(ours, jsId, [new(key, [RegularTag], "later"u8.ToArray(), expiration + 1)], ct);
        var again = await FindAsync(ours, jsId, [key], OurNodeId, ct);
        Assert.Equal([true], later.StoreOk);
        Assert.Equal("later"u8.ToArray(), again.Results[0].Value);
        Assert.Equal(expiration + 1, again.Results[0].Expiration);
    }

    [Fact]
    public async Task RpcStore_TwoSubkeys_RpcFindReturnsTheDictionaryAsExt0x50()
    {
        using var cts = TestTimeout.Start(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        await using var js = await StartStandInAsync(null, ct);
        await using var ours = await TestNode.StartAsync(cancellationToken: ct);
        var jsId = await ConnectAsync(ours, js, ct);
        var key = Filled(0x22);
        var now = NowSeconds();
        // Subkeys travel as msgpack objects: here str "peerA" / "peerB", as Petals writes its peer ids.
        byte[] subkeyA = [0xa5, .. "peerA"u8];
        byte[] subkeyB = [0xa5, .. "peerB"u8];

        var stored = await StoreAsync(
            ours,
            jsId,
            [new(key, subkeyA, [1, 2, 3], now + 300.5), new(key, subkeyB, [4, 5], now + 600.5)],
            ct);
        var found = await FindAsync(ours, jsId, [key], OurNodeId, ct);

        Assert.Equal([true, true], stored.StoreOk);
        var result = Assert.Single(found.Results);
        Assert.Equal(2, result.Type);
        Assert.Equal(now + 600.5, result.Expiration);
        // Ext 0x50 of [inf, latest, [[subkey, bin value, float64 exp], ...]] in insertion order (storage.py packb).
        byte[] payload =
        [
            0x93, .. Float64(double.PositiveInfinity), .. Float64(now + 600.5),
            0x92,
            0x93, .. subkeyA, 0xc4, 3, 1, 2, 3, .. Float64(now + 300.5),
            0x93, .. subkeyB, 0xc4, 2, 4, 5, .. Float64(now + 600.5),
        ];
        Assert.Equal([0xc7, (byte)payload.Length, 0x50, .. payload], result.Value);

        // The empty tag stores a whole dictionary (as hivemind replicates one): it reads back byte for byte.
        var copy = await StoreAsync(ours, jsId, [new(Filled(0x23), [], result.Value, result.Expiration)], ct);
        var copied = await FindAsync(ours, jsId, [Filled(0x23)], OurNodeId, ct);
        Assert.Equal([true], copy.StoreOk);
        Assert.Equal(2, copied.Results[0].Type);
        Assert.Equal(result.Value, copied.Results[0].Value);
        Assert.Equal(result.Expiration, copied.Results[0].Expiration);
    }

    [Fact]
    public async Task RpcStore_MisalignedListsOrMalformedProtobuf_AnswerInTheErrorArm()
    {
        using var cts = TestTimeout.Start(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        await using var js = await StartStandInAsync(null, ct);
        await using var ours = await TestNode.StartAsync(cancellationToken: ct);
        var jsId = await ConnectAsync(ours, js, ct);
        var twoKeysOneValue = Message(o =>
        {
            o.WriteTag(2, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom(Filled(0x01)));
            o.WriteTag(2, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom(Filled(0x02)));
            o.WriteTag(4, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom("v"u8));
        });

        var misaligned = await Assert.ThrowsAsync<UnaryCallException>(() => ours.Unary.CallAsync(jsId, Store, twoKeysOneValue, ct));
        var malformed = await Assert.ThrowsAsync<UnaryCallException>(() => ours.Unary.CallAsync(jsId, Find, new byte[] { 0x12, 0x05, 0x01 }, ct));
        var tooLongKey = await Assert.ThrowsAsync<UnaryCallException>(() => FindAsync(ours, jsId, [[0x01, .. Filled(0xff)]], null, ct));
        var notADictionary = await Assert.ThrowsAsync<UnaryCallException>(() =>
            StoreAsync(ours, jsId, [new(Filled(0x04), [], [0xc7, 0xff, 0x50, 0x93], NowSeconds() + 60)], ct));
        var notASubkey = await Assert.ThrowsAsync<UnaryCallException>(() =>
            StoreAsync(ours, jsId, [new(Filled(0x05), [0xa5, 0x61], [1], NowSeconds() + 60)], ct));
        var tooManyKeys = await Assert.ThrowsAsync<UnaryCallException>(() =>
            FindAsync(ours, jsId, [.. Enumerable.Range(0, 1001).Select(static _ => Filled(0x06))], null, ct));

        // protocol.py asserts the lengths without a message; the daemon sends repr(exception).
        Assert.Equal("AssertionError()", misaligned.Message);
        Assert.StartsWith("DecodeError(", malformed.Message, StringComparison.Ordinal);
        Assert.StartsWith("AssertionError('DHTID must be in [0, 2**160)", tooLongKey.Message, StringComparison.Ordinal);
        Assert.StartsWith("ValueError('not a DictionaryDHTValue", notADictionary.Message, StringComparison.Ordinal);
        Assert.StartsWith("ValueError('subkey is not msgpack", notASubkey.Message, StringComparison.Ordinal);
        Assert.Equal("ValueError('more than 1000 keys in one request')", tooManyKeys.Message);
        // The stand-in keeps serving.
        var ok = await StoreAsync(ours, jsId, [new(Filled(0x03), [RegularTag], [9], NowSeconds() + 60)], ct);
        Assert.Equal([true], ok.StoreOk);
    }

    [Fact]
    public async Task RpcFind_NearestNodes_SortedByXorDistanceWithoutTheRequester()
    {
        using var cts = TestTimeout.Start(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        await using var js = await StartStandInAsync(null, ct);
        await using var ours = await TestNode.StartAsync(cancellationToken: ct);
        var jsId = await ConnectAsync(ours, js, ct);
        var key = new byte[20];
        var nodes = NearestCandidates
            .Select(static b => (NodeId: Filled(b), PeerId: NodeIdentity.GenerateEd25519().PeerId))
            .ToList();
        foreach (var (nodeId, peerId) in nodes)
        {
            await js.SendAsync("hivemindAddNode", new { nodeIdHex = Convert.ToHexStringLower(nodeId), peerId = peerId.ToString() }, ct);
        }

        var found = await FindAsync(ours, jsId, [key], requesterNodeId: Filled(0x01), ct);

        var result = Assert.Single(found.Results);
        var expected = nodes.Where(static n => n.NodeId[0] != 0x01).OrderBy(n => n.NodeId[0]).ToList();
        Assert.Equal(expected.Select(static n => n.NodeId), result.NearestNodeIds);
        Assert.Equal(expected.Select(static n => n.PeerId.Multihash.ToArray()), result.NearestPeerIds);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RpcPing_Validate_StandInPingsUsBackAndReportsWhetherTheNodeIdMatched(bool answerOurId)
    {
        using var cts = TestTimeout.Start(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        await using var js = await StartStandInAsync(null, ct);
        await using var ours = await TestNode.StartAsync(cancellationToken: ct);
        var jsId = await ConnectAsync(ours, js, ct);
        var answered = answerOurId ? OurNodeId : Filled(0xee);
        // PingResponse{peer(2) = NodeInfo{node_id}}.
        var ourPong = Message(o =>
        {
            o.WriteTag(2, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom(NodeInfo(answered)));
        });
        ours.Unary.AddHandler(Ping, (_, _) => Task.FromResult(UnaryResult.Ok(ourPong)));
        var request = Message(o =>
        {
            o.WriteTag(2, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom(NodeInfo(OurNodeId)));
            o.WriteTag(3, WireFormat.WireType.Varint);
            o.WriteBool(true);
        });

        var pong = ProtoFields.Parse(await ours.Unary.CallAsync(jsId, Ping, request, ct));

        Assert.Equal(answerOurId, pong.Has(5) && pong.Varint(5) == 1);
        var found = await FindAsync(ours, jsId, [Filled(0x01)], requesterNodeId: null, ct);
        // Only a validated node joins the known nodes (update_routing_table(responded=available or not validate)).
        Assert.Equal(answerOurId ? 1 : 0, found.Results[0].NearestNodeIds.Count);
    }

    [Fact]
    public async Task HivemindCall_StandInCallsOurHandler_GetsOurResponseAndErrorBytes()
    {
        using var cts = TestTimeout.Start(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        await using var js = await StartStandInAsync(null, ct);
        await using var ours = await TestNode.StartAsync(cancellationToken: ct);
        var seen = new List<(PeerId Caller, string Protocol, byte[] Data)>();
        var pong = Convert.FromHexString("12160a14abababababababababababababababababababab2100002040fc54d941");
        ours.Unary.AddHandler(Ping, (request, _) =>
        {
            lock (seen)
            {
                seen.Add((request.Caller, request.Protocol, request.Data.ToArray()));
            }

            return Task.FromResult(request.Data.IsEmpty ? UnaryResult.Fail("AssertionError()") : UnaryResult.Ok(pong));
        });

        var ok = await js.SendAsync("hivemindCall", new { peer = ours.PeerId.ToString(), addr = ours.Address.ToString(), handler = Ping, requestHex = PingRequestHex }, ct);
        var failed = await js.SendAsync("hivemindCall", new { peer = ours.PeerId.ToString(), handler = Ping, requestHex = string.Empty }, ct);
        var wrongPeer = await Assert.ThrowsAsync<JsPeerCommandException>(() =>
            js.SendAsync("hivemindCall", new { peer = NodeIdentity.GenerateEd25519().PeerId.ToString(), addr = ours.Address.ToString(), handler = Ping, requestHex = PingRequestHex }, ct));

        Assert.Equal(Convert.ToHexStringLower(pong), ok.GetProperty("responseHex").GetString());
        Assert.False(ok.TryGetProperty("errorText", out _));
        Assert.Equal("AssertionError()", failed.GetProperty("errorText").GetString());
        Assert.Contains("dialled", wrongPeer.Error, StringComparison.Ordinal);
        lock (seen)
        {
            Assert.Equal(2, seen.Count);
            Assert.All(seen, s => Assert.Equal((PeerId.Parse(js.PeerId), Ping), (s.Caller, s.Protocol)));
            Assert.Equal(PingRequestHex, Convert.ToHexStringLower(seen[0].Data));
            Assert.Empty(seen[1].Data);
        }
    }

    [Fact]
    public async Task RpcPing_CallerHalfClosesBeforeTheReply_StandInCancelsWithoutAnswering()
    {
        using var cts = TestTimeout.Start(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        await using var js = await StartStandInAsync(SpecSeed, ct);
        await using var ours = await TestNode.StartAsync(cancellationToken: ct);
        var jsId = await ConnectAsync(ours, js, ct);

        await using var stream = await ours.Host.OpenStreamAsync(jsId, [Ping], ct);
        await stream.Stream.WriteAsync(Convert.FromHexString(ResearchPingFrameHex), ct);
        await stream.Stream.FlushAsync(ct);
        await stream.CompleteWritesAsync();
        var reply = await LengthPrefixed.ReadAsync(stream.Stream, 64 * 1024, ct);

        // go-libp2p-daemon treats EOF before the answer as a cancellation and never writes one (research §5.4 step 4).
        Assert.Null(reply);
        var cancelled = await WaitForEventAsync(js, "unaryEarlyEof", ct);
        Assert.Equal("eof", cancelled.GetProperty("reason").GetString());
        Assert.Equal(Ping, cancelled.GetProperty("protocol").GetString());
        Assert.Equal("000102030405060708090a0b0c0d0e0f", cancelled.GetProperty("callIdHex").GetString());
    }

    private static async Task<JsPeer> StartStandInAsync(string? seed, CancellationToken ct)
    {
        var js = await JsPeer.StartAsync(new JsPeerOptions { Seed = seed, Kad = false }, ct);
        try
        {
            var served = await js.SendAsync("hivemindServe", new { nodeIdHex = Convert.ToHexStringLower(StandInNodeId) }, ct);
            Assert.Equal(Convert.ToHexStringLower(StandInNodeId), served.GetProperty("nodeIdHex").GetString());
            return js;
        }
        catch
        {
            await js.DisposeAsync();
            throw;
        }
    }

    private static async Task<PeerId> ConnectAsync(TestNode ours, JsPeer js, CancellationToken ct)
    {
        var connection = await ours.Host.ConnectAsync(Multiaddr.Parse(js.Addrs[0]), ct);
        return connection.RemotePeer;
    }

    private static async Task<JsonElement> WaitForEventAsync(JsPeer js, string name, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(EventTimeout);
        return await js.WaitForEventAsync(name, null, timeout.Token);
    }

    /// <summary>StoreRequest{keys(2), subkeys(3), values(4), expiration_time(5, packed), in_cache(6, packed), peer(7)}.</summary>
    private static async Task<(bool[] StoreOk, byte[] NodeId)> StoreAsync(TestNode ours, PeerId target, StoreItem[] items, CancellationToken ct)
    {
        var request = Message(o =>
        {
            foreach (var item in items)
            {
                o.WriteTag(2, WireFormat.WireType.LengthDelimited);
                o.WriteBytes(ByteString.CopyFrom(item.Key));
            }

            foreach (var item in items)
            {
                o.WriteTag(3, WireFormat.WireType.LengthDelimited);
                o.WriteBytes(ByteString.CopyFrom(item.Subkey));
            }

            foreach (var item in items)
            {
                o.WriteTag(4, WireFormat.WireType.LengthDelimited);
                o.WriteBytes(ByteString.CopyFrom(item.Value));
            }

            o.WriteTag(5, WireFormat.WireType.LengthDelimited);
            o.WriteLength(items.Length * 8);
            foreach (var item in items)
            {
                o.WriteDouble(item.Expiration);
            }

            o.WriteTag(6, WireFormat.WireType.LengthDelimited);
            o.WriteLength(items.Length);
            foreach (var _ in items)
            {
                o.WriteBool(false);
            }

            o.WriteTag(7, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom(NodeInfo(OurNodeId)));
        });
        var response = ProtoFields.Parse(await ours.Unary.CallAsync(target, Store, request, ct));
        var storeOk = response.BytesOrNull(2) is { } packed ? [.. packed.Select(static b => b != 0)] : Array.Empty<bool>();
        return (storeOk, ProtoFields.Parse(response.Bytes(3)).Bytes(1));
    }

    /// <summary>FindRequest{keys(2), peer(3)} → FindResponse{results(2), peer(3)}.</summary>
    private static async Task<FindAnswer> FindAsync(TestNode ours, PeerId target, byte[][] keys, byte[]? requesterNodeId, CancellationToken ct)
    {
        var request = Message(o =>
        {
            foreach (var key in keys)
            {
                o.WriteTag(2, WireFormat.WireType.LengthDelimited);
                o.WriteBytes(ByteString.CopyFrom(key));
            }

            if (requesterNodeId is not null)
            {
                o.WriteTag(3, WireFormat.WireType.LengthDelimited);
                o.WriteBytes(ByteString.CopyFrom(NodeInfo(requesterNodeId)));
            }
        });
        var response = ProtoFields.Parse(await ours.Unary.CallAsync(target, Find, request, ct));
        var results = response.AllBytes(2).Select(static r =>
        {
            var f = ProtoFields.Parse(r);
            return new FindResult(
                f.Has(1) ? (int)f.Varint(1) : 0,
                f.BytesOrNull(2) ?? [],
                f.Has(3) ? f.Double(3) : 0,
                f.AllBytes(4),
                f.AllBytes(5));
        }).ToList();
        return new FindAnswer(results, ProtoFields.Parse(response.Bytes(3)).Bytes(1));
    }

    /// <summary>NodeInfo{node_id(1)}.</summary>
    private static byte[] NodeInfo(byte[] nodeId) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(nodeId));
    });

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        write(output);
        output.Flush();
        return buffer.ToArray();
    }

    private static byte[] Float64(double value)
    {
        var bytes = new byte[9];
        bytes[0] = 0xcb;
        BinaryPrimitives.WriteDoubleBigEndian(bytes.AsSpan(1), value);
        return bytes;
    }

    private static byte[] Filled(byte value) => [.. Enumerable.Repeat(value, 20)];

    private static double NowSeconds() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    private sealed record StoreItem(byte[] Key, byte[] Subkey, byte[] Value, double Expiration);

    private sealed record FindResult(int Type, byte[] Value, double Expiration, IReadOnlyList<byte[]> NearestNodeIds, IReadOnlyList<byte[]> NearestPeerIds);

    private sealed record FindAnswer(IReadOnlyList<FindResult> Results, byte[] NodeId);

    /// <summary>A protobuf message read field by field (varint, fixed64 and length-delimited fields).</summary>
    private sealed class ProtoFields
    {
        private readonly List<(int Field, object Value)> _fields = [];

        public static ProtoFields Parse(byte[] message)
        {
            var parsed = new ProtoFields();
            var input = new CodedInputStream(message);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                object value = WireFormat.GetTagWireType(tag) switch
                {
                    WireFormat.WireType.Varint => input.ReadUInt64(),
                    WireFormat.WireType.Fixed64 => input.ReadDouble(),
                    WireFormat.WireType.LengthDelimited => input.ReadBytes().ToByteArray(),
                    var other => throw new InvalidDataException("Unexpected wire type " + other + "."),
                };
                parsed._fields.Add((WireFormat.GetTagFieldNumber(tag), value));
            }

            return parsed;
        }

        public bool Has(int field) => _fields.Exists(f => f.Field == field);

        public byte[]? BytesOrNull(int field) => _fields.LastOrDefault(f => f.Field == field).Value as byte[];

        public byte[] Bytes(int field) => BytesOrNull(field) ?? throw new InvalidDataException("No bytes field " + field + ".");

        public List<byte[]> AllBytes(int field) => [.. _fields.Where(f => f.Field == field).Select(static f => (byte[])f.Value)];

        public double Double(int field) => (double)_fields.Last(f => f.Field == field).Value;

        public ulong Varint(int field) => (ulong)_fields.Last(f => f.Field == field).Value;
    }
}
