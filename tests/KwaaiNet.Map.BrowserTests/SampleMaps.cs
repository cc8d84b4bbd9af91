// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Petals.Map;

namespace KwaaiNet.Map.BrowserTests;

/// <summary>
/// A network of two models and three servers, as the crawler would report it: alice (online, verified pledge,
/// measured carbon) and bob (joining) on Llama, carol (offline, through a relay) on Qwen.
/// </summary>
internal static class SampleMaps
{
    public const string Llama = "unsloth/Llama-3.1-8B-Instruct";
    public const string Qwen = "Qwen/Qwen2.5-0.5B-Instruct";
    public const string Alice = "12D3KooWAliceAliceAliceAliceAliceAliceAlice1";
    public const string Bob = "12D3KooWBobBobBobBobBobBobBobBobBobBobBobBob2";
    public const string Carol = "12D3KooWCarolCarolCarolCarolCarolCarolCaro3";
    public const string Dave = "12D3KooWDaveDaveDaveDaveDaveDaveDaveDaveDav4";

    public static readonly DateTimeOffset At = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

    public static MapStateDocument TwoModelsThreeServers() => Document(
        [
            new(Llama, "Llama-3.1-8B-Instruct", "Llama-3-1-8B-Instruct", "https://huggingface.co/" + Llama, 8, "healthy",
                [
                    Row(Alice, "alice-linux-x64/v0.1.0", 0, 8, "online", 12.5, relay: false, pledge: true, new MapServerCarbon(true, "rapl", 1200, 42.5, At)),
                    Row(Bob, "bob-macos-arm64/v0.1.0", 4, 8, "joining", 10, relay: false, pledge: false, null),
                ],
                ["Llama-3-1-8B-Instruct", "Llama-3-1-8B-Instruct-hf"],
                [1, 1, 1, 1, 1, 1, 1, 1]),
            new(Qwen, "Qwen2.5-0.5B-Instruct", "Qwen2-5-0-5B-Instruct", "https://huggingface.co/" + Qwen, 4, "broken",
                [Row(Carol, "carol-win-x64/v0.1.0", 0, 4, "offline", 0, relay: true, pledge: false, new MapServerCarbon(false, "unmeasured", null, null, At))],
                ["Qwen2-5-0-5B-Instruct"],
                [0, 0, 0, 0]),
        ],
        [new(Carol, "no answer to rpc_info within 5 s")]);

    /// <summary>The same network after dave came online on Qwen's blocks 0..4.</summary>
    public static MapStateDocument WithDaveOnQwen()
    {
        var before = TwoModelsThreeServers();
        var qwen = before.ModelReports[1];
        qwen = qwen with
        {
            State = "healthy",
            ServerRows = [Row(Dave, "dave-linux-arm64/v0.1.0", 0, 4, "online", 8, relay: false, pledge: false, null), .. qwen.ServerRows],
            BlockCoverage = [1, 1, 1, 1],
        };
        return before with { ModelReports = [before.ModelReports[0], qwen], NumPeers = 4, NumBlocksCovered = 12, LastUpdated = At.AddMinutes(1) };
    }

    public static MapStateDocument Empty() => Document([], []) with { NumPeers = 0, NumBlocksCovered = 0 };

    private static MapStateDocument Document(IReadOnlyList<MapModelReport> models, IReadOnlyList<MapReachabilityIssue> issues) =>
        new(
            [],
            models,
            NumPeers: 3,
            NumBlocksCovered: 8,
            [new MapTopContributor(Alice, "alice-linux-x64/v0.1.0", 12.5, 8)],
            issues,
            At,
            UpdatePeriod: 60,
            UpdateDuration: 0.8,
            new MapCarbonSample(true, "rapl", 3600.25, 55.5, At, null));

    private static MapServerRow Row(string peerId, string name, int start, int end, string state, double throughput, bool relay, bool pledge, MapServerCarbon? carbon) =>
        new(
            peerId,
            "..." + peerId[^6..],
            ShowPublicName: true,
            state,
            new MapPeerIpInfo(null, ["/ip4/127.0.0.1/tcp/8080/p2p/" + peerId]),
            new MapSpan(peerId, start, end, new MapServerInfo(state, throughput, start, end, name, "kwaai-0.6.2", null, null, null, "float16", null, relay, 100000, pledge ? 1 : 0)),
            pledge,
            carbon,
            At.AddMinutes(6));
}
