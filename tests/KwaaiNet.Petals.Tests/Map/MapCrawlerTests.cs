// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Grpc.Net.Client;
using KwaaiNet.Contracts.Dht.V1;
using KwaaiNet.Hivemind;
using KwaaiNet.Hivemind.Client;
using KwaaiNet.Hivemind.Hosting;
using KwaaiNet.Hivemind.Protocol;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Values;
using KwaaiNet.Petals.Hosting;
using KwaaiNet.Petals.Map;
using KwaaiNet.Petals.Records;
using KwaaiNet.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Libp2pIdentity = KwaaiNet.Libp2p.Identity.NodeIdentity;
using Libp2pPeerId = KwaaiNet.Libp2p.Identity.PeerId;

namespace KwaaiNet.Petals.Tests.Map;

/// <summary>
/// The crawler over a real DHT node (the dht module of an in-process host, records in memory): records are stored as
/// the announcer writes them (<see cref="AnnouncementRecords"/>) or by hand for bad input, then crawled.
/// </summary>
public sealed class MapCrawlerTests : IDisposable
{
    private const string Model = "unsloth/Llama-3.1-8B-Instruct";
    private const string KwaaiPrefix = "Llama-3-1-8B-Instruct";
    private const string PetalsPrefix = "Llama-3-1-8B-Instruct-hf";
    private const int SkippedEventId = 4101;
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(360);
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private readonly LogCapture _logs = new();

    public void Dispose() => _logs.Dispose();

    [Fact]
    public async Task CrawlAsync_TwoServersCoveringTheModel_OneHealthyReportWithBothRows()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);
        var now = DateTimeOffset.UtcNow;
        var alice = NewPeer();
        var bob = NewPeer();
        await StoreAsync(host, AnnouncementRecords.Create(Node(alice, Span(0, 4, 10.0)) with { PublicName = "alice" }, now, Ttl), ct);
        await StoreAsync(host, AnnouncementRecords.Create(Node(bob, Span(4, 8, 5.5)), now, Ttl), ct);

        var document = await CrawlAsync(host, ["online", "offline"], ct);

        Assert.Equal(["online", "offline"], document.BootstrapStates);
        var report = Assert.Single(document.ModelReports);
        Assert.Equal(Model, report.Name);
        Assert.Equal("Llama-3.1-8B-Instruct", report.ShortName);
        Assert.Equal(KwaaiPrefix, report.DhtPrefix);
        Assert.Equal([KwaaiPrefix, PetalsPrefix], report.DhtPrefixes);
        Assert.Equal("https://huggingface.co/" + Model, report.Repository);
        Assert.Equal(8, report.NumBlocks);
        Assert.Equal("healthy", report.State);
        Assert.Equal([1, 1, 1, 1, 1, 1, 1, 1], report.BlockCoverage);

        // Each server's record sits under 4 blocks of 2 prefixes: one row each.
        Assert.Equal([(alice.ToBase58(), 0, 4), (bob.ToBase58(), 4, 8)], report.ServerRows.Select(static r => (r.PeerId, r.Span.Start, r.Span.End)));
        var row = report.ServerRows[0];
        Assert.Equal("online", row.State);
        Assert.Equal("..." + alice.ToBase58()[^6..], row.ShortPeerId);
        Assert.True(row.ShowPublicName);
        Assert.Null(row.PeerIpInfo.Location);
        Assert.Empty(row.PeerIpInfo.Multiaddrs);
        Assert.False(row.PledgeVerified);
        Assert.Null(row.Carbon);
        Assert.InRange(row.ExpiresAt, now + Ttl - TimeSpan.FromSeconds(1), now + Ttl + TimeSpan.FromSeconds(1));
        var info = row.Span.ServerInfo;
        Assert.Equal(("online", 10.0, 0, 4), (info.State, info.Throughput, info.StartBlock, info.EndBlock));
        Assert.Equal("alice/v0.1.0", info.PublicName);
        Assert.Equal("kwaai-0.6.2", info.Version);
        Assert.Equal("float32", info.TorchDtype);
        Assert.Equal(60_000, info.CacheTokensLeft);
        Assert.Equal(0, info.TrustAttestations);

        Assert.Equal(2, document.NumPeers);
        Assert.Equal(8, document.NumBlocksCovered);
        Assert.Empty(document.ReachabilityIssues);
        Assert.Null(document.Carbon);
        Assert.Equal(60, document.UpdatePeriod);
        Assert.True(document.UpdateDuration >= 0);
    }

    [Fact]
    public async Task CrawlAsync_BlocksWithoutOnlineServer_BrokenWithCoverageOfServedBlocks()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);
        var now = DateTimeOffset.UtcNow;
        await StoreAsync(host, AnnouncementRecords.Create(Node(NewPeer(), Span(0, 3, 1.0)), now, Ttl), ct);
        await StoreAsync(host, AnnouncementRecords.Create(Node(NewPeer(), Span(2, 5, 1.0, ServerState.Joining)), now, Ttl), ct);

        var document = await CrawlAsync(host, [], ct);

        var report = Assert.Single(document.ModelReports);
        Assert.Equal("broken", report.State);
        Assert.Equal([1, 1, 1, 0, 0, 0, 0, 0], report.BlockCoverage);
        Assert.Equal(["online", "joining"], report.ServerRows.Select(static r => r.State));
        Assert.Equal(3, document.NumBlocksCovered);
        Assert.Equal(2, document.NumPeers);
    }

    [Fact]
    public async Task CrawlAsync_OfflineRecordAfterOnline_RowOfflineAndNotCovering()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);
        var now = DateTimeOffset.UtcNow;
        var node = Node(NewPeer(), Span(0, 8, 4.0));
        await StoreAsync(host, AnnouncementRecords.Create(node, now, Ttl), ct);
        await StoreAsync(host, AnnouncementRecords.Offline(node, now.AddSeconds(1), Ttl), ct);

        var document = await CrawlAsync(host, [], ct);

        var report = Assert.Single(document.ModelReports);
        var row = Assert.Single(report.ServerRows);
        Assert.Equal("offline", row.State);
        Assert.Equal("offline", row.Span.ServerInfo.State);
        Assert.Equal(0.0, row.Span.ServerInfo.Throughput);
        Assert.Equal("broken", report.State);
        Assert.All(report.BlockCoverage, static c => Assert.Equal(0, c));
        Assert.Equal(1, document.NumPeers);
        Assert.Equal(0, document.NumBlocksCovered);
        Assert.Empty(document.TopContributors);
    }

    [Fact]
    public async Task CrawlAsync_SameSpanDifferingUnderTwoPrefixes_KeepsLatestExpiration()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);
        var now = DateTimeOffset.UtcNow;
        var peer = NewPeer();
        await StoreAsync(host, AnnouncementRecords.Create(Node(peer, Span(0, 8, 4.0)), now, Ttl), ct);

        // A later renewal reached only the KwaaiNet prefix's keys.
        await StoreAsync(host, AnnouncementRecords.Create(Node(peer, Span(0, 8, 9.0)) with { PetalsServing = false }, now.AddSeconds(10), Ttl), ct);

        var document = await CrawlAsync(host, [], ct);

        var row = Assert.Single(Assert.Single(document.ModelReports).ServerRows);
        Assert.Equal(9.0, row.Span.ServerInfo.Throughput);
        Assert.InRange(row.ExpiresAt, now.AddSeconds(10) + Ttl - TimeSpan.FromSeconds(1), now.AddSeconds(10) + Ttl + TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task CrawlAsync_ExpiredAtCrawlTime_Skipped()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);
        var now = DateTimeOffset.UtcNow;
        var shortLived = NewPeer();
        var longLived = NewPeer();
        await StoreAsync(host, AnnouncementRecords.Create(Node(shortLived, Span(0, 4, 1.0)), now, TimeSpan.FromSeconds(100)), ct);
        await StoreAsync(host, AnnouncementRecords.Create(Node(longLived, Span(4, 8, 1.0)), now, Ttl), ct);

        // The DHT node still holds both; the crawler's clock is past the first one's expiration.
        var document = await CrawlAsync(host, [], ct, new FakeTimeProvider(now.AddSeconds(200)));

        var row = Assert.Single(Assert.Single(document.ModelReports).ServerRows);
        Assert.Equal(longLived.ToBase58(), row.PeerId);
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 1], document.ModelReports[0].BlockCoverage);
        Assert.Empty(document.ReachabilityIssues);
    }

    [Fact]
    public async Task CrawlAsync_KwaaiNetAndPetalsPrefixesOfDifferentRepositories_MergedByHfRule()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);
        var now = DateTimeOffset.UtcNow;
        var kwaai = NewPeer();
        var petals = NewPeer();
        await StoreAsync(host, AnnouncementRecords.Create(Node(kwaai, Span(0, 4, 1.0)) with { PetalsServing = false }, now, Ttl), ct);
        await StoreAsync(
            host,
            AnnouncementRecords.Create(
                Node(petals, Span(4, 8, 1.0)) with { MapDhtPrefix = PetalsPrefix, Repository = "https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct", PetalsServing = false },
                now,
                Ttl),
            ct);

        var document = await CrawlAsync(host, [], ct);

        var report = Assert.Single(document.ModelReports);
        Assert.Equal(KwaaiPrefix, report.DhtPrefix);
        Assert.Equal([KwaaiPrefix, PetalsPrefix], report.DhtPrefixes);
        Assert.Equal(Model, report.Name);
        Assert.Equal("healthy", report.State);
        Assert.Equal([kwaai.ToBase58(), petals.ToBase58()], report.ServerRows.Select(static r => r.PeerId));
    }

    [Fact]
    public async Task CrawlAsync_PrefixesWithSameRepository_MergedAndOthersSeparate()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);
        var now = DateTimeOffset.UtcNow;
        await StoreAsync(host, AnnouncementRecords.Create(Node(NewPeer(), Span(0, 8, 1.0)) with { MapDhtPrefix = "Beta", PetalsServing = false }, now, Ttl), ct);
        await StoreAsync(host, AnnouncementRecords.Create(Node(NewPeer(), Span(0, 8, 1.0)) with { MapDhtPrefix = "Alpha", PetalsServing = false }, now, Ttl), ct);
        await StoreAsync(
            host,
            AnnouncementRecords.Create(
                Node(NewPeer(), Span(0, 2, 1.0)) with { Model = "bigscience/bloom-560m", TotalBlocks = 2, Repository = "not a url", PetalsServing = false },
                now,
                Ttl),
            ct);

        var document = await CrawlAsync(host, [], ct);

        Assert.Equal(["bloom-560m", Model], document.ModelReports.Select(static r => r.Name));
        var bloom = document.ModelReports[0];
        Assert.Equal(("bloom-560m", "bloom-560m", "not a url", 2), (bloom.ShortName, bloom.DhtPrefix, bloom.Repository, bloom.NumBlocks));
        var llama = document.ModelReports[1];
        Assert.Equal("Alpha", llama.DhtPrefix);
        Assert.Equal(["Alpha", "Beta"], llama.DhtPrefixes);
        Assert.Equal(2, llama.ServerRows.Count);
        Assert.Equal([2, 2, 2, 2, 2, 2, 2, 2], llama.BlockCoverage);
        Assert.Equal(3, document.NumPeers);
        Assert.Equal(10, document.NumBlocksCovered);
    }

    [Fact]
    public async Task CrawlAsync_SeveralServers_TopContributorsByOnlineThroughput()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);
        var now = DateTimeOffset.UtcNow;
        var twoSpans = NewPeer();
        var fast = NewPeer();
        var offline = NewPeer();
        await StoreAsync(host, AnnouncementRecords.Create(Node(twoSpans, Span(0, 4, 5.0), Span(4, 8, 6.0)) with { PublicName = "two" }, now, Ttl), ct);
        await StoreAsync(host, AnnouncementRecords.Create(Node(fast, Span(0, 2, 20.0)) with { PublicName = "fast" }, now, Ttl), ct);
        var gone = Node(offline, Span(0, 8, 50.0));
        await StoreAsync(host, AnnouncementRecords.Create(gone, now, Ttl), ct);
        await StoreAsync(host, AnnouncementRecords.Offline(gone, now.AddSeconds(1), Ttl), ct);

        var document = await CrawlAsync(host, [], ct);

        Assert.Equal(
            [(fast.ToBase58(), "fast/v0.1.0", 20.0, 2), (twoSpans.ToBase58(), "two/v0.1.0", 11.0, 8)],
            document.TopContributors.Select(static c => (c.PeerId, c.PublicName, c.Throughput, c.Blocks)));
        Assert.Equal(3, document.NumPeers);
        Assert.Equal(4, Assert.Single(document.ModelReports).ServerRows.Count);
    }

    [Fact]
    public async Task CrawlAsync_SubkeyAsBinWrappingStr_Accepted()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);
        var now = DateTimeOffset.UtcNow;
        await StoreModelAsync(host, now, ct);
        var peer = NewPeer();
        var value = ServerInfoCodec.Encode(new ServerInfo { State = ServerState.Online, Throughput = 3.0, StartBlock = 0, EndBlock = 1 });

        await StoreRawAsync(host, $"{KwaaiPrefix}.0", DhtMsgPack.Write(w => w.WriteBin(DhtMsgPack.Str(peer.ToBase58()))), value, now, ct);
        var document = await CrawlAsync(host, [], ct);

        var row = Assert.Single(Assert.Single(document.ModelReports).ServerRows);
        Assert.Equal(peer.ToBase58(), row.PeerId);
        Assert.Empty(document.ReachabilityIssues);
    }

    [Theory]
    [InlineData("throughput-int", "throughput", true)]
    [InlineData("start-block-float", "start_block", true)]
    [InlineData("block-beyond-limit", "outside 0..65536", true)]
    [InlineData("span-beyond-model", "outside the model's 8 blocks", true)]
    [InlineData("garbage", "malformed server record under " + KwaaiPrefix, true)]
    [InlineData("no-span", "lacks start_block or end_block", true)]
    [InlineData("int-subkey", "expected a str peer id", false)]
    [InlineData("bad-peer-id", "is not a base58 peer id", false)]
    [InlineData("regular-value", "a regular value, expected a dictionary keyed by peer id", false)]
    public async Task CrawlAsync_BadServerRecord_SkippedLoggedListedAndOthersShown(string kind, string reason, bool namesPeer)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);
        var now = DateTimeOffset.UtcNow;
        var good = NewPeer();
        var bad = NewPeer();
        await StoreAsync(host, AnnouncementRecords.Create(Node(good, Span(0, 4, 2.0)), now, Ttl), ct);

        // The bad entry sits under two block keys (as a real record would): one issue, logged once.
        foreach (var block in new[] { 5, 6 })
        {
            await StoreBadAsync(host, kind, $"{KwaaiPrefix}.{block}", bad, now, ct);
        }

        var document = await CrawlAsync(host, [], ct);

        var report = Assert.Single(document.ModelReports);
        var row = Assert.Single(report.ServerRows);
        Assert.Equal(good.ToBase58(), row.PeerId);
        Assert.Equal([1, 1, 1, 1, 0, 0, 0, 0], report.BlockCoverage);
        var issue = Assert.Single(document.ReachabilityIssues);
        Assert.Contains(reason, issue.Error, StringComparison.Ordinal);
        Assert.StartsWith("malformed server record under " + KwaaiPrefix, issue.Error, StringComparison.Ordinal);
        if (namesPeer)
        {
            Assert.Equal(bad.ToBase58(), issue.PeerId);
        }

        var logged = Assert.Single(_logs.Entries, static e => e.EventId == SkippedEventId);
        Assert.Equal(LogLevel.Warning, logged.Level);
        Assert.Contains(KwaaiPrefix + ".", logged.Message, StringComparison.Ordinal);
        Assert.Contains(reason, logged.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("zero-blocks", "num_blocks")]
    [InlineData("unknown-field", "is unknown")]
    [InlineData("garbage", "malformed _petals.models entry")]
    [InlineData("int-subkey", "expected a str dht prefix")]
    [InlineData("prefix-with-dot", "is not a dht prefix")]
    public async Task CrawlAsync_BadModelEntry_SkippedLoggedListedAndGoodModelShown(string kind, string reason)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);
        var now = DateTimeOffset.UtcNow;
        await StoreAsync(host, AnnouncementRecords.Create(Node(NewPeer(), Span(0, 8, 2.0)), now, Ttl), ct);
        var (subkey, value) = kind switch
        {
            "zero-blocks" => (DhtMsgPack.Str("Broken"), DhtMsgPack.Write(static w => { w.WriteMapHeader(1); w.Write("num_blocks"); w.Write(0L); })),
            "unknown-field" => (DhtMsgPack.Str("Broken"), DhtMsgPack.Write(static w => { w.WriteMapHeader(1); w.Write("layers"); w.Write(8L); })),
            "garbage" => (DhtMsgPack.Str("Broken"), [0xde, 0xad, 0xbe, 0xef]),
            "int-subkey" => (DhtMsgPack.Write(static w => w.Write(7L)), ModelInfoCodec.Encode(new ModelInfo(null, 8))),
            "prefix-with-dot" => (DhtMsgPack.Str("Bro.ken"), ModelInfoCodec.Encode(new ModelInfo(null, 8))),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        await StoreRawAsync(host, DhtRecordKeys.PetalsModels, subkey, value, now, ct);
        var document = await CrawlAsync(host, [], ct);

        var report = Assert.Single(document.ModelReports);
        Assert.Equal(KwaaiPrefix, report.DhtPrefix);
        Assert.Equal("healthy", report.State);
        var issue = Assert.Single(document.ReachabilityIssues);
        Assert.StartsWith("malformed _petals.models entry", issue.Error, StringComparison.Ordinal);
        Assert.Contains(reason, issue.Error, StringComparison.Ordinal);
        var logged = Assert.Single(_logs.Entries, static e => e.EventId == SkippedEventId);
        Assert.Contains("_petals.models", logged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CrawlAsync_ModelClaimingAbsurdBlockCount_NotCrawledAndOthersShown()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);
        var now = DateTimeOffset.UtcNow;
        await StoreAsync(host, AnnouncementRecords.Create(Node(NewPeer(), Span(0, 8, 2.0)), now, Ttl), ct);
        await StoreRawAsync(host, DhtRecordKeys.PetalsModels, DhtMsgPack.Str("Huge"), ModelInfoCodec.Encode(new ModelInfo(null, ServerInfoLimits.MaxBlock)), now, ct);

        var document = await CrawlAsync(host, [], ct);

        Assert.Equal(KwaaiPrefix, Assert.Single(document.ModelReports).DhtPrefix);
        var issue = Assert.Single(document.ReachabilityIssues);
        Assert.Equal("Huge", issue.PeerId);
        Assert.Equal($"model Huge not crawled: its 65536 block keys exceed what is left of a crawl's {MapCrawler.MaxBlockKeys}", issue.Error);
    }

    [Fact]
    public async Task CrawlAsync_NothingAnnounced_EmptyDocument()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);

        var document = await CrawlAsync(host, ["offline"], ct);

        Assert.Empty(document.ModelReports);
        Assert.Equal(0, document.NumPeers);
        Assert.Equal(0, document.NumBlocksCovered);
        Assert.Empty(document.TopContributors);
        Assert.Empty(document.ReachabilityIssues);
    }

    [Fact]
    public async Task CrawlAsync_DhtServiceNotListening_ThrowsDhtUnavailable()
    {
        var ct = TestContext.Current.CancellationToken;
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{FreeTcpPort.Next()}");
        using var loggers = LoggerFactory.Create(b => b.AddProvider(_logs));
        var crawler = new MapCrawler(new GrpcDhtClient(new Dht.DhtClient(channel)), Options.Create(new MapOptions()), TimeProvider.System, loggers.CreateLogger<MapCrawler>());

        await Assert.ThrowsAsync<DhtUnavailableException>(() => crawler.CrawlAsync([], ct).WaitAsync(Limit, ct));
    }

    [Fact]
    public async Task Service_RecordsStored_StateEndpointAndGetMapShowThemAfterRequestedCrawl()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(ct);
        var peer = NewPeer();
        await StoreAsync(host, AnnouncementRecords.Create(Node(peer, Span(0, 8, 7.0)) with { PublicName = "carol" }, DateTimeOffset.UtcNow, Ttl), ct);
        var service = host.App.Services.GetRequiredService<MapCrawlerService>();

        var body = await Poll.UntilAsync(
            async token =>
            {
                service.RequestCrawl();
                return await host.Http.GetStringAsync(new Uri("/api/v1/state", UriKind.Relative), token);
            },
            static b => b.Contains("server_rows\":[{", StringComparison.Ordinal),
            Limit,
            TimeSpan.FromMilliseconds(200),
            ct);
        var map = await new Contracts.Map.V1.MapAnnouncer.MapAnnouncerClient(host.Channel).GetMapAsync(new Contracts.Map.V1.GetMapRequest(), cancellationToken: ct);

        Assert.Contains($"\"peer_id\":\"{peer.ToBase58()}\"", body, StringComparison.Ordinal);
        Assert.Contains("\"block_coverage\":[1,1,1,1,1,1,1,1]", body, StringComparison.Ordinal);
        var server = Assert.Single(map.Servers);
        Assert.Equal((peer.ToBase58(), "carol/v0.1.0", Model, 0, 8, 2, 7.0), (server.PeerId, server.PublicName, server.Model, server.StartBlock, server.EndBlock, server.State, server.Throughput));
    }

    private static Libp2pPeerId NewPeer() => Libp2pIdentity.GenerateEd25519().PeerId;

    private static ServedSpan Span(int start, int end, double throughput, ServerState state = ServerState.Online) =>
        new(start, end, state, throughput, 60_000, "float32");

    private static AnnouncedNode Node(Libp2pPeerId peer, params ServedSpan[] spans) => new()
    {
        Model = Model,
        TotalBlocks = 8,
        Spans = spans,
        PeerId = peer,
        PublicName = "node",
        ProductVersion = "0.1.0",
    };

    private static Task<ModuleHost> StartAsync(CancellationToken ct) =>
        ModuleHost.StartAsync(
            static b =>
            {
                b.AddDht();
                b.AddMapAnnouncer();
            },
            static a =>
            {
                a.MapDht();
                a.MapMapAnnouncer();
            },
            null,
            ct).WaitAsync(Limit, ct);

    private static async Task StoreAsync(ModuleHost host, IReadOnlyList<AnnouncementRecord> records, CancellationToken ct)
    {
        var outcomes = await host.App.Services.GetRequiredService<IDhtClient>().StoreAsync([.. records.Select(static r => r.ToStoreItem())], ct);

        // Every server writes the same _petals.models entries; hivemind keeps the first of equal expirations.
        Assert.All(records.Zip(outcomes).Where(static p => p.First.Key != DhtRecordKeys.PetalsModels), static p => Assert.True(p.Second.Stored, p.First.Key));
    }

    private static Task StoreModelAsync(ModuleHost host, DateTimeOffset now, CancellationToken ct) =>
        StoreRawAsync(host, DhtRecordKeys.PetalsModels, DhtMsgPack.Str(KwaaiPrefix), ModelInfoCodec.Encode(new ModelInfo("https://huggingface.co/" + Model, 8)), now, ct);

    private static async Task StoreRawAsync(ModuleHost host, string key, byte[] subkey, byte[] value, DateTimeOffset now, CancellationToken ct)
    {
        var item = new DhtStoreItem(DhtId.FromKey(key), subkey, value, DhtTime.ToDhtTime(now + Ttl));
        var outcome = Assert.Single(await host.App.Services.GetRequiredService<IDhtClient>().StoreAsync([item], ct));
        Assert.True(outcome.Stored);
    }

    private static Task StoreBadAsync(ModuleHost host, string kind, string key, Libp2pPeerId peer, DateTimeOffset now, CancellationToken ct)
    {
        var subkey = DhtMsgPack.Str(peer.ToBase58());
        byte[] Info(Action<DhtMsgPackWriter> fields, bool intThroughput = false) => DhtMsgPack.Write(w => w.WriteTuple(3, t =>
        {
            t.Write(2L);
            if (intThroughput)
            {
                t.Write(10L);
            }
            else
            {
                t.Write(10.0);
            }

            fields(t);
        }));
        void Span(DhtMsgPackWriter w, int start, int end)
        {
            w.WriteMapHeader(2);
            w.Write("start_block");
            w.Write((long)start);
            w.Write("end_block");
            w.Write((long)end);
        }

        return kind switch
        {
            "throughput-int" => StoreRawAsync(host, key, subkey, Info(w => Span(w, 5, 7), intThroughput: true), now, ct),
            "start-block-float" => StoreRawAsync(host, key, subkey, Info(w =>
            {
                w.WriteMapHeader(2);
                w.Write("start_block");
                w.Write(5.0);
                w.Write("end_block");
                w.Write(7L);
            }), now, ct),
            "block-beyond-limit" => StoreRawAsync(host, key, subkey, Info(w => Span(w, 5, 100_000)), now, ct),
            "span-beyond-model" => StoreRawAsync(host, key, subkey, Info(w => Span(w, 5, 50)), now, ct),
            "garbage" => StoreRawAsync(host, key, subkey, [0xde, 0xad, 0xbe, 0xef], now, ct),
            "no-span" => StoreRawAsync(host, key, subkey, Info(static w => w.WriteMapHeader(0)), now, ct),
            "int-subkey" => StoreRawAsync(host, key, DhtMsgPack.Write(static w => w.Write(7L)), Info(w => Span(w, 5, 7)), now, ct),
            "bad-peer-id" => StoreRawAsync(host, key, DhtMsgPack.Str("not-a-peer-id"), Info(w => Span(w, 5, 7)), now, ct),
            "regular-value" => StoreRawAsync(host, key, DhtMsgPack.RegularValueTag.ToArray(), Info(w => Span(w, 5, 7)), now, ct),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    private async Task<MapStateDocument> CrawlAsync(ModuleHost host, IReadOnlyList<string> bootstrapStates, CancellationToken ct, TimeProvider? time = null)
    {
        using var loggers = LoggerFactory.Create(b => b.AddProvider(_logs));
        var crawler = new MapCrawler(
            host.App.Services.GetRequiredService<IDhtClient>(),
            Options.Create(new MapOptions()),
            time ?? TimeProvider.System,
            loggers.CreateLogger<MapCrawler>());
        return await crawler.CrawlAsync(bootstrapStates, ct).WaitAsync(Limit, ct);
    }
}
