// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Grpc.Core;
using KwaaiNet.Contracts.Dht.V1;
using KwaaiNet.Hivemind.Hosting;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Values;
using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Testing;

namespace KwaaiNet.Hivemind.Tests.Hosting;

/// <summary>
/// The dht module's gRPC API on the embedded node (the p2p-gateway's libp2p node in the same process) with records in
/// memory: request validation, mapping to and from the node, and bounded answers about unreachable peers.
/// </summary>
public sealed class DhtGrpcApiTests
{
    private const int MaxValueBytes = 1024;
    private static readonly TimeSpan CallLimit = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan BootstrapLimit = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Store_NeitherOrBothKeyAndKeyId_InvalidArgumentWithReason()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);
        var dht = new Dht.DhtClient(host.Channel);

        var neither = await StoreFailsAsync(dht, new StoreItem { Value = Msgpack("v"), ExpirationTime = Later() }, ct);
        var both = await StoreFailsAsync(dht, new StoreItem { Key = "k", KeyId = IdBytes("k"), Value = Msgpack("v"), ExpirationTime = Later() }, ct);
        var shortId = await StoreFailsAsync(dht, new StoreItem { KeyId = ByteString.CopyFrom(new byte[19]), Value = Msgpack("v"), ExpirationTime = Later() }, ct);
        var noItems = await Assert.ThrowsAsync<RpcException>(() => dht.StoreAsync(new StoreRequest(), cancellationToken: ct).ResponseAsync.WaitAsync(CallLimit, ct));

        Assert.All([neither, both, shortId, noItems], static e => Assert.Equal(StatusCode.InvalidArgument, e.StatusCode));
        Assert.Contains("exactly one of key (text) or key_id", neither.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("exactly one of key (text) or key_id", both.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("key_id is 19 bytes", shortId.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("1 to", noItems.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Store_OversizeSubkey_InvalidArgumentAndNothingStored()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);
        var dht = new Dht.DhtClient(host.Channel);
        var key = "oversize-subkey-" + Guid.NewGuid();

        var error = await StoreFailsAsync(dht, new StoreItem { Key = key, Subkey = Msgpack(new string('s', 300)), Value = Msgpack("v"), ExpirationTime = Later() }, ct);
        var notMsgpack = await StoreFailsAsync(dht, new StoreItem { Key = key, Subkey = ByteString.CopyFrom(0xa5, 0x61), Value = Msgpack("v"), ExpirationTime = Later() }, ct);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("items[0]: subkey is 303 bytes; at most 256", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, notMsgpack.StatusCode);
        Assert.Contains("subkey is not a valid msgpack subkey", notMsgpack.Status.Detail, StringComparison.Ordinal);
        Assert.False((await GetAsync(dht, new GetRequest { Key = key }, ct)).Found);
    }

    [Fact]
    public async Task Store_ValueAboveMaxValueBytes_InvalidArgumentNamingTheItemAndNothingStored()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);
        var dht = new Dht.DhtClient(host.Channel);
        var good = "good-" + Guid.NewGuid();

        var error = await Assert.ThrowsAsync<RpcException>(() => dht.StoreAsync(
            new StoreRequest
            {
                Items =
                {
                    new StoreItem { Key = good, Value = Msgpack("fine"), ExpirationTime = Later() },
                    new StoreItem { Key = "too-big", Value = ByteString.CopyFrom(new byte[MaxValueBytes + 1]), ExpirationTime = Later() },
                },
            },
            cancellationToken: ct).ResponseAsync.WaitAsync(CallLimit, ct));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains($"item 1: value is {MaxValueBytes + 1} bytes; at most {MaxValueBytes}", error.Status.Detail, StringComparison.Ordinal);

        // The request is refused whole: the good item was not stored either.
        Assert.False((await GetAsync(dht, new GetRequest { Key = good }, ct)).Found);
    }

    [Fact]
    public async Task StoreAndGet_RegularAndDictionary_MappedBothWaysAndTextKeyEqualsItsKeyId()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);
        var dht = new Dht.DhtClient(host.Channel);
        var regular = "regular-" + Guid.NewGuid();
        var dictionary = "dictionary-" + Guid.NewGuid();
        var regularExpiration = Later() + 0.25;
        var entryExpiration = Later() + 0.5;

        var stored = await dht.StoreAsync(
            new StoreRequest
            {
                Items =
                {
                    new StoreItem { Key = regular, Value = Msgpack("regular value"), ExpirationTime = regularExpiration },
                    new StoreItem { KeyId = IdBytes(dictionary), Subkey = Msgpack("peer-a"), Value = Msgpack("entry a"), ExpirationTime = entryExpiration },
                },
            },
            cancellationToken: ct).ResponseAsync.WaitAsync(CallLimit, ct);
        var byId = await GetAsync(dht, new GetRequest { KeyId = IdBytes(regular) }, ct);
        var byText = await GetAsync(dht, new GetRequest { Key = dictionary }, ct);
        var missing = await GetAsync(dht, new GetRequest { Key = "missing-" + Guid.NewGuid() }, ct);

        Assert.All(stored.Results, static r => Assert.Equal((true, 1), (r.Stored, r.Replicas)));
        Assert.Equal(2, stored.Results.Count);
        Assert.True(byId.Found);
        Assert.False(byId.IsDictionary);
        Assert.Equal(Msgpack("regular value"), byId.Value);
        Assert.Equal(regularExpiration, byId.ExpirationTime);
        Assert.True(byText.Found);
        Assert.True(byText.IsDictionary);
        Assert.Equal(entryExpiration, byText.ExpirationTime);
        var entry = Assert.Single(byText.Entries);
        Assert.Equal(Msgpack("peer-a"), entry.Subkey);
        Assert.Equal(Msgpack("entry a"), entry.Value);
        Assert.Equal(entryExpiration, entry.ExpirationTime);
        Assert.False(missing.Found);
        Assert.False(missing.IsDictionary);
        Assert.True(missing.Value.IsEmpty);
        Assert.Empty(missing.Entries);
    }

    [Fact]
    public async Task FindNearestAndRoutingTable_LoneNode_AnswerWithItselfAndAnEmptyTable()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);
        var dht = new Dht.DhtClient(host.Channel);
        var localPeer = ((ILocalLibp2pNode)host.App.Services.GetService(typeof(ILocalLibp2pNode))!).Host.PeerId;

        var table = await dht.RoutingTableAsync(new RoutingTableRequest(), cancellationToken: ct).ResponseAsync.WaitAsync(CallLimit, ct);
        var nearest = await dht.FindNearestAsync(new FindNearestRequest { Key = "anything" }, cancellationToken: ct).ResponseAsync.WaitAsync(CallLimit, ct);
        var badCount = await Assert.ThrowsAsync<RpcException>(() =>
            dht.FindNearestAsync(new FindNearestRequest { Key = "anything", Count = -1 }, cancellationToken: ct).ResponseAsync.WaitAsync(CallLimit, ct));

        Assert.Equal(DhtId.Length, table.NodeId.Length);
        Assert.Equal(localPeer.ToBase58(), table.PeerId);
        Assert.Equal(0, table.Size);
        Assert.All(table.Buckets, static b => Assert.Empty(b.Nodes));
        var self = Assert.Single(nearest.Peers);
        Assert.Equal(table.NodeId, self.NodeId);
        Assert.Equal(localPeer.ToBase58(), self.PeerId);
        Assert.Equal(StatusCode.InvalidArgument, badCount.StatusCode);
        Assert.Contains("count must be 0 to 1024", badCount.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/ip4/127.0.0.1/tcp/notaport/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA", "Invalid multiaddr")]
    [InlineData("/ip4/127.0.0.1/tcp/4001", "does not end in /p2p/<peer id>")]
    public async Task Bootstrap_MalformedMultiaddr_InvalidArgumentWithReason(string peer, string reason)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);
        var dht = new Dht.DhtClient(host.Channel);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            dht.BootstrapAsync(new BootstrapRequest { Peers = { peer } }, cancellationToken: ct).ResponseAsync.WaitAsync(CallLimit, ct));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(reason, error.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Bootstrap_UnreachablePeer_AnswersZeroWithinTheRpcTimeout(bool silentListener)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);
        var dht = new Dht.DhtClient(host.Channel);

        // A closed port refuses at once; a listener that accepts and never speaks must be given up on by the timeout.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        int port;
        if (silentListener)
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        else
        {
            port = FreeTcpPort.Next();
        }

        var peer = NodeIdentity.GenerateEd25519().PeerId;

        // The host's own dial and handshake timeouts are 15 s: only the 1 s RpcTimeout (connect, then ping) answers sooner.
        var reply = await dht.BootstrapAsync(new BootstrapRequest { Peers = { $"/ip4/127.0.0.1/tcp/{port}/p2p/{peer}" } }, cancellationToken: ct)
            .ResponseAsync.WaitAsync(BootstrapLimit, ct);

        Assert.Equal(0, reply.Answered);
        Assert.Equal(0, reply.RoutingTableSize);
    }

    private static Task<ModuleHost> StartAsync(CancellationToken ct) =>
        ModuleHost.StartAsync(
            static b =>
            {
                b.AddP2PGateway();
                b.AddDht();
            },
            static a =>
            {
                a.MapP2PGateway();
                a.MapDht();
            },
            new Dictionary<string, string?>
            {
                ["KwaaiNet:Dht:RpcTimeout"] = "00:00:01",
                ["KwaaiNet:Dht:MaxValueBytes"] = MaxValueBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            ct).WaitAsync(CallLimit, ct);

    private static async Task<RpcException> StoreFailsAsync(Dht.DhtClient dht, StoreItem item, CancellationToken ct) =>
        await Assert.ThrowsAsync<RpcException>(() => dht.StoreAsync(new StoreRequest { Items = { item } }, cancellationToken: ct).ResponseAsync.WaitAsync(CallLimit, ct));

    private static Task<GetResponse> GetAsync(Dht.DhtClient dht, GetRequest request, CancellationToken ct) =>
        dht.GetAsync(request, cancellationToken: ct).ResponseAsync.WaitAsync(CallLimit, ct);

    private static ByteString Msgpack(string text) => ByteString.CopyFrom(DhtMsgPack.Str(text));

    private static ByteString IdBytes(string key) => ByteString.CopyFrom(DhtId.FromKey(key).ToBytes());

    private static double Later() => DhtTime.Now(TimeProvider.System) + 600;
}
