// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Petals.Records;
using static KwaaiNet.Petals.Tests.Records.RecordBytes;
using Libp2pPeerId = KwaaiNet.Libp2p.Identity.PeerId;

namespace KwaaiNet.Petals.Tests.Records;

public sealed class AnnouncementRecordsTests
{
    private const string KwaaiPrefix = "Llama-3-1-8B-Instruct";
    private const string PetalsPrefix = "Llama-3-1-8B-Instruct-hf";
    private const string Pledge = "{\"type\":[\"VerifiableCredential\",\"FiduciaryPledgeVC\"]}";

    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(360);
    private static readonly double Expiration = DhtTime.ToDhtTime(Now) + 360;

    private static ServedSpan Span(int start, int end, double throughput = 12.5, long cacheTokens = 60_000) =>
        new(start, end, ServerState.Online, throughput, cacheTokens, "float32");

    private static AnnouncedNode Node(params ServedSpan[] spans) => new()
    {
        Model = "unsloth/Llama-3.1-8B-Instruct",
        TotalBlocks = 8,
        Spans = spans.Length == 0 ? [Span(2, 5)] : spans,
        PeerId = Libp2pPeerId.Parse(PeerId),
        PublicName = "alice",
        ProductVersion = "0.1.0",
    };

    private static (string Key, string Subkey)[] KeysOf(IEnumerable<AnnouncementRecord> records) =>
        [.. records.Select(r => (r.Key, r.Subkey))];

    [Fact]
    public void Create_SpanTwoToFiveOfEight_WritesEveryKeyOfRecordsTableInOrder()
    {
        var records = AnnouncementRecords.Create(Node(), Now, Ttl);

        (string, string)[] expected =
        [
            ($"{KwaaiPrefix}.2", PeerId), ($"{KwaaiPrefix}.3", PeerId), ($"{KwaaiPrefix}.4", PeerId),
            ($"{PetalsPrefix}.2", PeerId), ($"{PetalsPrefix}.3", PeerId), ($"{PetalsPrefix}.4", PeerId),
            ("_petals.models", KwaaiPrefix), ("_petals.models", PetalsPrefix),
            ("_kwaai.inference.nodes", PeerId),
        ];
        Assert.Equal(expected, KeysOf(records));
    }

    [Fact]
    public void Create_BlockRecords_DecodeToTheSpanFigures()
    {
        var records = AnnouncementRecords.Create(Node(), Now, Ttl);

        var blockRecords = records.Where(r => !r.Key.StartsWith('_')).ToList();
        Assert.Equal(6, blockRecords.Count);
        foreach (var record in blockRecords)
        {
            var info = ServerInfoCodec.Decode(record.Value.Span);
            Assert.Equal(ServerState.Online, info.State);
            Assert.Equal(12.5, info.Throughput);
            Assert.Equal(2, info.StartBlock);
            Assert.Equal(5, info.EndBlock);
            Assert.Equal(60_000, info.CacheTokensLeft);
            Assert.Equal("float32", info.TorchDtype);
            Assert.Equal("kwaai-0.6.2", info.Version);
            Assert.Equal("alice/v0.1.0", info.PublicName);
            Assert.Equal(PeerId, info.PeerId);
            Assert.False(info.UsingRelay);
            Assert.Empty(info.Adapters!);
            Assert.Empty(info.NextPings!);
            Assert.Empty(info.TrustAttestations);
            Assert.Null(info.Carbon);
        }
    }

    [Fact]
    public void Create_BlockRecord_IsTheKnownBytes()
    {
        var record = AnnouncementRecords.Create(Node(), Now, Ttl)[0];

        var expected = Record(
            "93 02 cb4029000000000000", // [2, 12.5,
            "8a", // map of 10
            Str("start_block"), "02",
            Str("end_block"), "05",
            Str("public_name"), Str("alice/v0.1.0"),
            Str("version"), Str("kwaai-0.6.2"),
            Str("torch_dtype"), Str("float32"),
            Str("using_relay"), "c2",
            Str("cache_tokens_left"), "cd ea60", // 60000, uint16
            Str("adapters"), "90",
            Str("next_pings"), "80",
            Str("peer_id"), PeerIdStr);
        Assert.Equal($"{KwaaiPrefix}.2", record.Key);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(record.Value.Span));
    }

    [Fact]
    public void Create_Expirations_AreNowPlusTtl()
    {
        var records = AnnouncementRecords.Create(Node(), Now, Ttl);

        Assert.All(records, r => Assert.Equal(Expiration, r.ExpirationTime));
    }

    [Fact]
    public void Create_ModelRegistryEntries_CarryRepositoryAndBlockCount()
    {
        var records = AnnouncementRecords.Create(Node(), Now, Ttl);

        var models = records.Where(r => r.Key == DhtRecordKeys.PetalsModels).ToList();
        Assert.Equal(2, models.Count);
        Assert.All(models, r => Assert.Equal(
            new ModelInfo("https://huggingface.co/unsloth/Llama-3.1-8B-Instruct", 8), ModelInfoCodec.Decode(r.Value.Span)));
    }

    [Fact]
    public void Create_MapPrefixAndRepository_AreUsedForKeysAndRegistry()
    {
        var node = Node() with { MapDhtPrefix = "Llama-3-1-8B", Repository = "https://huggingface.co/meta-llama/Llama-3.1-8B" };

        var records = AnnouncementRecords.Create(node, Now, Ttl);

        Assert.Contains(records, r => r.Key == "Llama-3-1-8B.2");
        Assert.Contains(records, r => r.Key == "Llama-3-1-8B-hf.4");
        var model = records.First(r => r.Key == DhtRecordKeys.PetalsModels && r.Subkey == "Llama-3-1-8B");
        Assert.Equal("https://huggingface.co/meta-llama/Llama-3.1-8B", ModelInfoCodec.Decode(model.Value.Span).Repository);
        Assert.DoesNotContain(records, r => r.Key.StartsWith(KwaaiPrefix, StringComparison.Ordinal));
    }

    [Fact]
    public void Create_InferenceNodesEntry_IsTheSpanServerInfo()
    {
        var records = AnnouncementRecords.Create(Node(), Now, Ttl);

        var entry = Assert.Single(records, r => r.Key == DhtRecordKeys.KwaaiInferenceNodes);
        Assert.Equal(PeerId, entry.Subkey);
        Assert.Equal(Convert.ToHexString(records[0].Value.Span), Convert.ToHexString(entry.Value.Span));
    }

    [Fact]
    public void Create_PetalsServingOff_WritesNoPetalsPrefixKeys()
    {
        var records = AnnouncementRecords.Create(Node() with { PetalsServing = false }, Now, Ttl);

        (string, string)[] expected =
        [
            ($"{KwaaiPrefix}.2", PeerId), ($"{KwaaiPrefix}.3", PeerId), ($"{KwaaiPrefix}.4", PeerId),
            ("_petals.models", KwaaiPrefix),
            ("_kwaai.inference.nodes", PeerId),
        ];
        Assert.Equal(expected, KeysOf(records));
    }

    [Fact]
    public void Create_PrefixAlreadyEndingInHf_IsWrittenOnce()
    {
        var records = AnnouncementRecords.Create(Node() with { MapDhtPrefix = "Llama-2-7b-chat-hf" }, Now, Ttl);

        Assert.Equal(3, records.Count(r => r.Key.StartsWith("Llama-2-7b-chat-hf.", StringComparison.Ordinal)));
        Assert.Equal("Llama-2-7b-chat-hf", Assert.Single(records, r => r.Key == DhtRecordKeys.PetalsModels).Subkey);
    }

    [Fact]
    public void Create_PrivatePrefix_HasNoModelRegistryEntry()
    {
        var records = AnnouncementRecords.Create(Node() with { MapDhtPrefix = "_private" }, Now, Ttl);

        Assert.DoesNotContain(records, r => r.Key == DhtRecordKeys.PetalsModels);
        Assert.Contains(records, r => r.Key == "_private.2");
    }

    [Fact]
    public void Create_TwoDisjointSpans_AnnounceEachBlockWithItsSpan()
    {
        var node = Node(Span(0, 2, throughput: 3.0), Span(5, 8, throughput: 4.0)) with { PetalsServing = false };

        var records = AnnouncementRecords.Create(node, Now, Ttl);

        var blocks = records.Where(r => r.Key.StartsWith(KwaaiPrefix, StringComparison.Ordinal))
            .ToDictionary(r => r.Key, r => ServerInfoCodec.Decode(r.Value.Span));
        Assert.Equal([$"{KwaaiPrefix}.0", $"{KwaaiPrefix}.1", $"{KwaaiPrefix}.5", $"{KwaaiPrefix}.6", $"{KwaaiPrefix}.7"], blocks.Keys);
        Assert.All([0, 1], b => Assert.Equal((0, 2, 3.0), Figures(blocks[$"{KwaaiPrefix}.{b}"])));
        Assert.All([5, 6, 7], b => Assert.Equal((5, 8, 4.0), Figures(blocks[$"{KwaaiPrefix}.{b}"])));

        // The widest span goes to the inference-node registry.
        var entry = records.Single(r => r.Key == DhtRecordKeys.KwaaiInferenceNodes);
        Assert.Equal((5, 8, 4.0), Figures(ServerInfoCodec.Decode(entry.Value.Span)));
    }

    [Fact]
    public void Create_OverlappingSpans_BlockCarriesTheSpanReachingFurthest()
    {
        var node = Node(Span(0, 4, throughput: 3.0), Span(2, 8, throughput: 4.0), Span(3, 6, throughput: 5.0)) with { PetalsServing = false };

        var records = AnnouncementRecords.Create(node, Now, Ttl);

        var byBlock = records.Where(r => r.Key.StartsWith(KwaaiPrefix, StringComparison.Ordinal))
            .Select(r => Figures(ServerInfoCodec.Decode(r.Value.Span))).ToList();
        Assert.Equal(8, byBlock.Count);
        Assert.Equal([(0, 4, 3.0), (0, 4, 3.0)], byBlock[..2]);
        Assert.All(byBlock[2..], f => Assert.Equal((2, 8, 4.0), f));
        Assert.Equal((2, 8, 4.0), Figures(ServerInfoCodec.Decode(records.Single(r => r.Key == DhtRecordKeys.KwaaiInferenceNodes).Value.Span)));
    }

    [Fact]
    public void Create_SpansOfEqualReach_PreferTheLowerStart()
    {
        var node = Node(Span(4, 8, throughput: 3.0), Span(2, 8, throughput: 4.0), Span(0, 2, throughput: 5.0)) with { PetalsServing = false };

        var records = AnnouncementRecords.Create(node, Now, Ttl);

        var block5 = records.Single(r => r.Key == $"{KwaaiPrefix}.5");
        Assert.Equal((2, 8, 4.0), Figures(ServerInfoCodec.Decode(block5.Value.Span)));
    }

    [Fact]
    public void Create_SpansOfEqualWidth_InferenceNodesTakesTheLowestStart()
    {
        var node = Node(Span(5, 8, throughput: 3.0), Span(1, 4, throughput: 4.0));

        var records = AnnouncementRecords.Create(node, Now, Ttl);

        var entry = records.Single(r => r.Key == DhtRecordKeys.KwaaiInferenceNodes);
        Assert.Equal((1, 4, 4.0), Figures(ServerInfoCodec.Decode(entry.Value.Span)));
    }

    [Fact]
    public void Create_NodeDetails_TravelInEveryServerInfo()
    {
        var carbon = new ServerCarbon(true, "rapl", 1234.5, 42.0, Now);
        var span = Span(2, 5) with
        {
            State = ServerState.Joining,
            NetworkRps = 100.0,
            InferenceRps = 300.0,
            NextPings = new Dictionary<string, double> { [RsaPeerId] = 0.25 },
        };
        var node = Node(span) with { UsingRelay = true, PledgeAttestation = Pledge, Carbon = carbon };

        var records = AnnouncementRecords.Create(node, Now, Ttl);

        Assert.All(records.Where(r => r.Key != DhtRecordKeys.PetalsModels), r =>
        {
            var info = ServerInfoCodec.Decode(r.Value.Span);
            Assert.Equal(ServerState.Joining, info.State);
            Assert.True(info.UsingRelay);
            Assert.Equal(100.0, info.NetworkRps);
            Assert.Equal(300.0, info.InferenceRps);
            Assert.Null(info.ForwardRps);
            Assert.Equal(0.25, info.NextPings![RsaPeerId]);
            Assert.Equal([Pledge], info.TrustAttestations);
            Assert.Equal(carbon, info.Carbon);
        });
    }

    [Fact]
    public void Offline_SpanTwoToFive_RewritesTheBlockKeysWithStateZero()
    {
        var records = AnnouncementRecords.Offline(Node(), Now, Ttl);

        (string, string)[] expected =
        [
            ($"{KwaaiPrefix}.2", PeerId), ($"{KwaaiPrefix}.3", PeerId), ($"{KwaaiPrefix}.4", PeerId),
            ($"{PetalsPrefix}.2", PeerId), ($"{PetalsPrefix}.3", PeerId), ($"{PetalsPrefix}.4", PeerId),
        ];
        Assert.Equal(expected, KeysOf(records));
        Assert.All(records, r =>
        {
            Assert.Equal(Expiration, r.ExpirationTime);
            var info = ServerInfoCodec.Decode(r.Value.Span);
            Assert.Equal(ServerState.Offline, info.State);
            Assert.Equal(0.0, info.Throughput);
            Assert.Equal(0, info.CacheTokensLeft);
            Assert.Equal((2, 5), (info.StartBlock, info.EndBlock));
            Assert.Equal(PeerId, info.PeerId);
        });
    }

    [Fact]
    public void Offline_Record_WritesStateZeroAndAFloatThroughput()
    {
        var record = AnnouncementRecords.Offline(Node(), Now, Ttl)[0];

        // ext8 tuple of [0, 0.0 (float64), {...: "cache_tokens_left": 0, ...}]
        var hex = Convert.ToHexString(record.Value.Span);
        Assert.StartsWith("C7", hex, StringComparison.Ordinal);
        Assert.StartsWith("40" + "93" + "00" + "CB0000000000000000", hex[4..], StringComparison.Ordinal);
        Assert.Contains(Str("cache_tokens_left").ToUpperInvariant() + "00", hex, StringComparison.Ordinal);
    }

    [Fact]
    public void Offline_PetalsServingOff_OnlyKwaaiNetKeys()
    {
        var records = AnnouncementRecords.Offline(Node() with { PetalsServing = false }, Now, Ttl);

        Assert.All(records, r => Assert.StartsWith($"{KwaaiPrefix}.", r.Key, StringComparison.Ordinal));
        Assert.Equal(3, records.Count);
    }

    [Fact]
    public void ToStoreItem_Record_HashesTheKeyAndWritesTheSubkeyAsMsgPackStr()
    {
        var record = AnnouncementRecords.Create(Node(), Now, Ttl)[0];

        var item = record.ToStoreItem();

        Assert.Equal(DhtId.FromKey($"{KwaaiPrefix}.2"), item.Key);
        Assert.Equal(PeerIdStr.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant(), Convert.ToHexString(item.Subkey.Span));
        Assert.Equal(record.Value.ToArray(), item.Value.ToArray());
        Assert.Equal(Expiration, item.ExpirationTime);
        Assert.False(item.InCache);
    }

    [Fact]
    public void Create_BadNode_Throws()
    {
        AnnouncedNode[] badNodes =
        [
            Node() with { Spans = [] },
            Node(Span(5, 9)),
            Node(Span(-1, 2)),
            Node(Span(3, 3)),
            Node(Span(4, 2)),
            Node() with { TotalBlocks = 0 },
            Node(Span(2, 5, throughput: double.NaN)),
            Node(Span(2, 5, throughput: -1.0)),
            Node(Span(2, 5, cacheTokens: -1)),
            Node() with { MapDhtPrefix = "has space" },
            Node() with { PublicName = " " },
        ];

        Assert.All(badNodes, node => Assert.ThrowsAny<ArgumentException>(() => AnnouncementRecords.Create(node, Now, Ttl)));
    }

    [Fact]
    public void Create_NonPositiveTtl_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AnnouncementRecords.Create(Node(), Now, TimeSpan.Zero));
    }

    private static (int Start, int End, double Throughput) Figures(ServerInfo info) => (info.StartBlock!.Value, info.EndBlock!.Value, info.Throughput);
}
