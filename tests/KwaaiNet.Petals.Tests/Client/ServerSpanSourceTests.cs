// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Values;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Petals.Client;
using KwaaiNet.Petals.Records;
using KwaaiNet.Testing;

namespace KwaaiNet.Petals.Tests.Client;

/// <summary>Block records → the servers the client routes over.</summary>
public sealed class ServerSpanSourceTests
{
    private const string Prefix = "tiny";
    private const double Now = 1_000_000;

    private static readonly string A = NodeIdentity.GenerateEd25519().PeerId.ToBase58();
    private static readonly string B = NodeIdentity.GenerateEd25519().PeerId.ToBase58();
    private static readonly string C = NodeIdentity.GenerateEd25519().PeerId.ToBase58();

    [Fact]
    public void FromRecords_OneSpanPerServer_WithItsAnnouncedFigures()
    {
        var a = Info(0, 2) with { InferenceRps = 123.5, CacheTokensLeft = 4096, NextPings = new Dictionary<string, double> { [B] = 0.25 } };
        var b = Info(2, 4);
        DhtItem?[] items = [Item((A, a, Now + 60)), Item((A, a, Now + 60)), Item((B, b, Now + 60)), Item((B, b, Now + 60))];

        var spans = ServerSpanSource.FromRecords(Prefix, items, Now, new LogCapture().CreateLogger("test"));

        Assert.Equal(2, spans.Count);
        var first = spans[0];
        Assert.Equal((A, 0, 2, 123.5, 4096L, 0.25), (first.PeerId, first.Start, first.End, first.InferenceRps, first.CacheTokensLeft, first.NextPings[B]));
        Assert.Equal((B, 2, 4, (double?)null), (spans[1].PeerId, spans[1].Start, spans[1].End, spans[1].InferenceRps));
    }

    [Fact]
    public void FromRecords_OnlyOnlineUnexpiredServers()
    {
        DhtItem?[] items =
        [
            Item((A, Info(0, 1), Now + 60), (B, Info(0, 1) with { State = ServerState.Joining }, Now + 60), (C, Info(0, 1), Now - 1)),
            null,
        ];

        var spans = ServerSpanSource.FromRecords(Prefix, items, Now, new LogCapture().CreateLogger("test"));

        Assert.Equal([A], spans.Select(static s => s.PeerId));
    }

    [Fact]
    public void FromRecords_TheLatestAnnouncementWins()
    {
        DhtItem?[] items = [Item((A, Info(0, 2) with { Throughput = 1 }, Now + 10)), Item((A, Info(0, 2) with { Throughput = 2 }, Now + 90))];

        var span = Assert.Single(ServerSpanSource.FromRecords(Prefix, items, Now, new LogCapture().CreateLogger("test")));

        Assert.Equal(2, span.Throughput);
    }

    [Fact]
    public void FromRecords_BadEntries_AreSkippedAndLogged()
    {
        using var logs = new LogCapture();
        var good = Info(0, 1);
        DhtItem?[] items =
        [
            DhtItem.Dictionary(
            [
                new DhtDictionaryEntry(DhtMsgPack.Str("not-a-peer-id"), ServerInfoCodec.Encode(good), Now + 60),
                new DhtDictionaryEntry(new byte[] { 0x07 }, ServerInfoCodec.Encode(good), Now + 60),
                new DhtDictionaryEntry(DhtMsgPack.Str(B), new byte[] { 0xc1, 0x00 }, Now + 60),
                new DhtDictionaryEntry(DhtMsgPack.Str(C), ServerInfoCodec.Encode(Info(1, 2)), Now + 60),
                new DhtDictionaryEntry(DhtMsgPack.Str(A), ServerInfoCodec.Encode(good), Now + 60),
            ]),
            DhtItem.Regular(new byte[] { 0x01 }, Now + 60),
        ];

        var spans = ServerSpanSource.FromRecords(Prefix, items, Now, logs.CreateLogger("test"));

        Assert.Equal([A], spans.Select(static s => s.PeerId));
        Assert.Equal(5, logs.Count(4505));
    }

    [Fact]
    public void FromRecords_SpanPastTheModel_IsSkipped()
    {
        using var logs = new LogCapture();
        DhtItem?[] items = [Item((A, Info(0, 9), Now + 60))];

        Assert.Empty(ServerSpanSource.FromRecords(Prefix, items, Now, logs.CreateLogger("test")));
        Assert.Contains(logs.Entries, static e => e.EventId == 4505 && e.Message.Contains("outside the model", StringComparison.Ordinal));
    }

    private static ServerInfo Info(int start, int end) => new() { State = ServerState.Online, Throughput = 10, StartBlock = start, EndBlock = end };

    private static DhtItem Item(params (string PeerId, ServerInfo Info, double Expiration)[] entries) =>
        DhtItem.Dictionary([.. entries.Select(static e => new DhtDictionaryEntry(DhtMsgPack.Str(e.PeerId), ServerInfoCodec.Encode(e.Info), e.Expiration))]);
}
