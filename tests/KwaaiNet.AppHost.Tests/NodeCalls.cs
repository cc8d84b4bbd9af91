// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Net.Http.Json;
using Google.Protobuf;
using Grpc.Net.Client;
using KwaaiNet.Contracts.Carbon.V1;
using KwaaiNet.Contracts.Dht.V1;
using KwaaiNet.Contracts.Gateway.V1;
using KwaaiNet.Contracts.Inference.V1;
using KwaaiNet.Contracts.Map.V1;
using KwaaiNet.Hivemind;
using KwaaiNet.Hivemind.Protocol;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Values;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Petals.Map;
using KwaaiNet.Testing;
using KwaaiNet.Testing.Dht;
using KwaaiNet.Testing.Inference;

namespace KwaaiNet.AppHost.Tests;

/// <summary>The calls every deployment must answer the same way, split or embedded.</summary>
internal static class NodeCalls
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public static async Task AssertIdentityAsync(GrpcChannel channel, string home, CancellationToken ct)
    {
        var identity = await new Gateway.GatewayClient(channel).IdentityAsync(new IdentityRequest(), deadline: DateTime.UtcNow + Deadline, cancellationToken: ct);

        Assert.StartsWith("12D3KooW", identity.PeerId, StringComparison.Ordinal);
        Assert.StartsWith("kwaainet-aspire/", identity.AgentVersion, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(home, "identity.key")), "the identity was not persisted in the node's home");
    }

    public static async Task AssertDhtRoundTripAsync(GrpcChannel channel, CancellationToken ct)
    {
        var dht = new Dht.DhtClient(channel);
        var key = "apphost-test-" + Guid.NewGuid().ToString("N");

        // A dictionary entry keyed by a msgpack str (fixstr "peer"), as Petals records are.
        var subkey = ByteString.CopyFrom([0xa4, .. "peer"u8]);
        var stored = await dht.StoreAsync(
            new StoreRequest
            {
                Items =
                {
                    new StoreItem
                    {
                        Key = key,
                        Subkey = subkey,
                        Value = ByteString.CopyFrom(1, 2, 3),
                        ExpirationTime = DateTimeOffset.UtcNow.AddMinutes(6).ToUnixTimeMilliseconds() / 1000.0,
                    },
                },
            },
            deadline: DateTime.UtcNow + Deadline,
            cancellationToken: ct);
        var found = await dht.GetAsync(new GetRequest { Key = key }, deadline: DateTime.UtcNow + Deadline, cancellationToken: ct);

        Assert.True(Assert.Single(stored.Results).Stored);
        Assert.True(found.Found);
        Assert.True(found.IsDictionary);
        var entry = Assert.Single(found.Entries);
        Assert.Equal(subkey, entry.Subkey);
        Assert.Equal(new byte[] { 1, 2, 3 }, entry.Value.ToByteArray());
    }

    /// <summary>
    /// A libp2p peer of our own calls the node's DHT over the network: the gateway routes DHTProtocol.* to the dht
    /// module, which answers with its node id, asks the peer back (through the gateway's CallUnary) to validate the
    /// ping, stores what the peer sends, and lists the peer in its routing table.
    /// </summary>
    public static async Task AssertDhtOverLibp2pAsync(GrpcChannel gateway, GrpcChannel dht, CancellationToken ct)
    {
        var identity = await new Gateway.GatewayClient(gateway).IdentityAsync(new IdentityRequest(), deadline: DateTime.UtcNow + Deadline, cancellationToken: ct);
        var nodePeer = PeerId.Parse(identity.PeerId);
        var address = Multiaddr.Parse(identity.ListenAddrs.First(static a => a.StartsWith("/ip4/127.0.0.1/", StringComparison.Ordinal))).WithPeerId(nodePeer);
        var dhtClient = new Dht.DhtClient(dht);
        var table = await dhtClient.RoutingTableAsync(new RoutingTableRequest(), deadline: DateTime.UtcNow + Deadline, cancellationToken: ct);
        await using var peers = await DhtSwarm.StartAsync(1, SwarmTransport.Libp2p, cancellationToken: ct).WaitAsync(Deadline, ct);
        var peer = peers.Nodes[0];
        await peer.ConnectAsync(address, ct).WaitAsync(Deadline, ct);

        var nodeId = await peer.Dht.Protocol.CallPingAsync(nodePeer, validate: true, ct).WaitAsync(Deadline, ct);
        var key = DhtId.FromKey("apphost-libp2p-" + Guid.NewGuid().ToString("N"));
        var stored = await peer.Dht.Protocol.CallStoreAsync(
            nodePeer, [new DhtStoreItem(key, DhtMsgPack.RegularValueTag, new byte[] { 7, 8, 9 }, DhtTime.Now(TimeProvider.System) + 300)], ct).WaitAsync(Deadline, ct);
        var found = await dhtClient.GetAsync(new GetRequest { KeyId = ByteString.CopyFrom(key.ToBytes()) }, deadline: DateTime.UtcNow + Deadline, cancellationToken: ct);
        var after = await dhtClient.RoutingTableAsync(new RoutingTableRequest(), deadline: DateTime.UtcNow + Deadline, cancellationToken: ct);

        Assert.Equal(table.NodeId.ToByteArray(), nodeId?.ToBytes());
        Assert.Equal(identity.PeerId, after.PeerId);
        Assert.Equal([true], stored);
        Assert.True(found.Found);
        Assert.Equal(new byte[] { 7, 8, 9 }, found.Value.ToByteArray());
        Assert.Contains(after.Buckets.SelectMany(static b => b.Nodes), n => n.PeerId == peer.PeerId.ToBase58() && n.NodeId.Span.SequenceEqual(peer.Dht.NodeId.ToBytes()));
    }

    /// <summary>The worker loads the fixture's tiny model, measures its throughput and runs a forward pass.</summary>
    public static async Task AssertInferenceInfoAsync(GrpcChannel channel, CancellationToken ct)
    {
        var client = new KwaaiNet.Contracts.Inference.V1.Inference.InferenceClient(channel);
        var info = await Poll.UntilAsync(
            async c => await client.InfoAsync(new InfoRequest(), deadline: DateTime.UtcNow + Deadline, cancellationToken: c),
            static i => i.State == ModelState.Failed || (i.State == ModelState.Ready && i.Throughput > 0),
            Deadline,
            ct);

        Assert.Contains(info.ExecutionProviders, static p => p.Name == "CPUExecutionProvider");
        Assert.Single(info.ExecutionProviders, static p => p.Selected);
        Assert.False(string.IsNullOrEmpty(info.OnnxRuntimeVersion));
        Assert.True(info.State == ModelState.Ready, info.StateDetail);
        Assert.Equal(AppFixture.TinyModel, info.Model);
        Assert.Equal((0, TinyLlamaGguf.Default.LayerCount), (info.StartBlock, info.EndBlock));
        Assert.Equal("measured", info.ThroughputSource);

        var hidden = TinyLlamaGguf.Default.HiddenSize;
        var forward = await client.ForwardAsync(
            new ForwardRequest { HiddenStates = new Tensor { Dtype = "float32", Shape = { 1, hidden }, Data = ByteString.CopyFrom(new byte[4 * hidden]) } },
            deadline: DateTime.UtcNow + Deadline,
            cancellationToken: ct);
        Assert.Equal<long>([1, hidden], forward.HiddenStates.Shape);
        Assert.Equal(4 * hidden, forward.HiddenStates.Data.Length);
    }

    public static async Task AssertFootprintAsync(GrpcChannel channel, CancellationToken ct)
    {
        var footprint = await new CarbonTracker.CarbonTrackerClient(channel).GetFootprintAsync(new GetFootprintRequest(), deadline: DateTime.UtcNow + Deadline, cancellationToken: ct);

        // A real reading where RAPL exists and is readable, and an explicit reason where it does not.
        Assert.True(footprint.Measured ? footprint.Source == "rapl" && footprint.Zones.Count > 0 : footprint.Reason.Length > 0, footprint.ToString());
    }

    /// <summary>
    /// The node's own span appears online on its map, read through the public front: the worker reported it on the bus,
    /// the announcer stored it through the dht, and the crawler read it back from the DHT.
    /// </summary>
    public static async Task AssertOwnSpanOnMapAsync(HttpClient front, string peerId, CancellationToken ct)
    {
        var state = await Poll.UntilAsync(
            async token => await front.GetFromJsonAsync<MapStateDocument>(new Uri("/api/v1/state", UriKind.Relative), token),
            s => s?.ModelReports.SelectMany(static m => m.ServerRows).Any(r => r.PeerId == peerId && r.State == "online") == true,
            TimeSpan.FromSeconds(90),
            TimeSpan.FromMilliseconds(500),
            ct);

        var report = Assert.Single(state!.ModelReports);
        Assert.Equal(AppFixture.TinyModel, report.DhtPrefix);
        Assert.Equal([AppFixture.TinyModel, AppFixture.TinyModel + "-hf"], report.DhtPrefixes.Order(StringComparer.Ordinal));
        var row = Assert.Single(report.ServerRows, r => r.PeerId == peerId);
        Assert.Equal((0, TinyLlamaGguf.Default.LayerCount), (row.Span.Start, row.Span.End));
        Assert.True(row.Span.ServerInfo.Throughput > 0);
        Assert.Equal("kwaai-0.6.2", row.Span.ServerInfo.Version);
        Assert.Equal("healthy", report.State);
    }

    /// <summary>The node's peer id, from the gateway's identity.</summary>
    public static async Task<string> PeerIdAsync(GrpcChannel gateway, CancellationToken ct) =>
        (await new Gateway.GatewayClient(gateway).IdentityAsync(new IdentityRequest(), deadline: DateTime.UtcNow + Deadline, cancellationToken: ct)).PeerId;

    /// <summary>Polls GetMap until the carbon-tracker's first sample has arrived over the bus.</summary>
    public static Task<GetMapResponse> WaitForCarbonSampleOnMapAsync(GrpcChannel channel, CancellationToken ct)
    {
        var map = new MapAnnouncer.MapAnnouncerClient(channel);
        return Poll.UntilAsync(
            token => map.GetMapAsync(new GetMapRequest(), deadline: DateTime.UtcNow + Deadline, cancellationToken: token).ResponseAsync,
            static response => response.LatestCarbonSample is not null,
            TimeSpan.FromSeconds(90),
            TimeSpan.FromMilliseconds(250),
            ct);
    }
}
