// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf;
using Grpc.Net.Client;
using KwaaiNet.Contracts.Carbon.V1;
using KwaaiNet.Contracts.Dht.V1;
using KwaaiNet.Contracts.Gateway.V1;
using KwaaiNet.Contracts.Inference.V1;
using KwaaiNet.Contracts.Map.V1;
using KwaaiNet.Testing;

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

    public static async Task AssertInferenceInfoAsync(GrpcChannel channel, CancellationToken ct)
    {
        var info = await new Inference.InferenceClient(channel).InfoAsync(new InfoRequest(), deadline: DateTime.UtcNow + Deadline, cancellationToken: ct);

        Assert.Contains(info.ExecutionProviders, static p => p.Name == "CPUExecutionProvider");
        Assert.Single(info.ExecutionProviders, static p => p.Selected);
        Assert.False(string.IsNullOrEmpty(info.OnnxRuntimeVersion));
    }

    public static async Task AssertFootprintAsync(GrpcChannel channel, CancellationToken ct)
    {
        var footprint = await new CarbonTracker.CarbonTrackerClient(channel).GetFootprintAsync(new GetFootprintRequest(), deadline: DateTime.UtcNow + Deadline, cancellationToken: ct);

        // A real reading where RAPL exists and is readable, and an explicit reason where it does not.
        Assert.True(footprint.Measured ? footprint.Source == "rapl" && footprint.Zones.Count > 0 : footprint.Reason.Length > 0, footprint.ToString());
    }

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
