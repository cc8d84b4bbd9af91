// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Messages;
using KwaaiNet.Petals.Map;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace KwaaiNet.Petals.Tests.Map;

public sealed class NetworkMapTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start);

    [Fact]
    public void Snapshot_New_IsEmptyAndGeneratedNow()
    {
        var map = NewMap();

        Assert.Empty(map.Snapshot.Document.ModelReports);
        Assert.Empty(map.Snapshot.Document.BootstrapStates);
        Assert.Equal(Start, map.Snapshot.Document.LastUpdated);
        Assert.Equal(45, map.Snapshot.Document.UpdatePeriod);
        Assert.Null(map.Snapshot.LatestCarbonSample);
        Assert.Equal(Start, map.Snapshot.GeneratedAt);
    }

    [Fact]
    public void RecordCarbonSample_NewerSample_KeepsLatest()
    {
        var map = NewMap();
        var first = Sample(energyJoules: 1, recordedAt: Start);
        var second = Sample(energyJoules: 2, recordedAt: Start.AddSeconds(15));

        map.RecordCarbonSample(first);
        map.RecordCarbonSample(second);

        Assert.Same(second, map.Snapshot.LatestCarbonSample);
    }

    [Fact]
    public void RecordCarbonSample_OlderSampleAfterNewer_KeepsNewer()
    {
        var map = NewMap();
        var newer = Sample(energyJoules: 2, recordedAt: Start.AddSeconds(15));
        var older = Sample(energyJoules: 1, recordedAt: Start);

        map.RecordCarbonSample(newer);
        _time.Advance(TimeSpan.FromSeconds(5));
        map.RecordCarbonSample(older);

        Assert.Same(newer, map.Snapshot.LatestCarbonSample);

        // The ignored sample does not touch the snapshot at all.
        Assert.Equal(Start, map.Snapshot.GeneratedAt);
    }

    [Fact]
    public void RecordCarbonSample_SameRecordedAt_ReplacesHeld()
    {
        var map = NewMap();
        var held = Sample(energyJoules: 1, recordedAt: Start);
        var redelivered = Sample(energyJoules: 1, recordedAt: Start);

        map.RecordCarbonSample(held);
        map.RecordCarbonSample(redelivered);

        Assert.Same(redelivered, map.Snapshot.LatestCarbonSample);
    }

    [Fact]
    public void RecordCarbonSample_AfterTimeAdvance_GeneratedAtFromTimeProvider()
    {
        var map = NewMap();
        _time.Advance(TimeSpan.FromMinutes(3));

        map.RecordCarbonSample(Sample(energyJoules: 1, recordedAt: Start));

        Assert.Equal(Start.AddMinutes(3), map.Snapshot.GeneratedAt);
    }

    [Fact]
    public void RecordCarbonSample_Null_Throws()
    {
        var map = NewMap();

        Assert.Throws<ArgumentNullException>(() => map.RecordCarbonSample(null!));
    }

    [Fact]
    public async Task Update_Document_ReplacesItAndCompletesWaiterWithCarbon()
    {
        var map = NewMap();
        var sample = Sample(energyJoules: 3, recordedAt: Start);
        map.RecordCarbonSample(sample);
        var waiter = map.WaitForUpdateAsync(TestContext.Current.CancellationToken);
        var crawled = Crawled("online");
        _time.Advance(TimeSpan.FromSeconds(7));

        Assert.False(waiter.IsCompleted);
        map.Update(crawled);
        var seen = await waiter.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Same(crawled, map.Snapshot.Document);
        Assert.Same(sample, map.Snapshot.LatestCarbonSample);
        Assert.Equal(Start.AddSeconds(7), map.Snapshot.GeneratedAt);
        Assert.Equal(["online"], seen.BootstrapStates);
        Assert.Equal(MapCarbonSample.From(sample), seen.Carbon);
    }

    [Fact]
    public void Update_Subscriber_GetsEachDocumentInOrder()
    {
        var map = NewMap();
        var seen = new List<MapStateDocument>();
        map.Updated += (_, document) => seen.Add(document);

        map.Update(Crawled("online"));
        map.Update(Crawled("offline"));

        Assert.Equal([["online"], ["offline"]], seen.Select(static d => d.BootstrapStates));
        Assert.All(seen, static d => Assert.Null(d.Carbon));
    }

    [Fact]
    public async Task WaitForUpdateAsync_AfterUpdate_WaitsForTheNextOne()
    {
        var map = NewMap();
        map.Update(Crawled("online"));

        var waiter = map.WaitForUpdateAsync(TestContext.Current.CancellationToken);

        Assert.False(waiter.IsCompleted);
        map.Update(Crawled("offline"));
        Assert.Equal(["offline"], (await waiter.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken)).BootstrapStates);
    }

    [Fact]
    public void RecordCarbonSample_AfterUpdate_KeepsCrawledDocument()
    {
        var map = NewMap();
        var crawled = Crawled("online");
        map.Update(crawled);

        map.RecordCarbonSample(Sample(energyJoules: 1, recordedAt: Start));

        Assert.Same(crawled, map.Snapshot.Document);
        Assert.True(map.Snapshot.ToStateDocument().Carbon?.Measured);
    }

    private NetworkMap NewMap() => new(_time, Options.Create(new MapOptions { CrawlPeriod = TimeSpan.FromSeconds(45) }));

    private static MapStateDocument Crawled(string bootstrapState) =>
        MapStateDocument.Empty(Start, TimeSpan.FromSeconds(45)) with { BootstrapStates = [bootstrapState], NumPeers = 1 };

    private static CarbonSampleRecorded Sample(double energyJoules, DateTimeOffset recordedAt) =>
        new(Measured: true, Source: "rapl", EnergyJoules: energyJoules, AveragePowerWatts: 1.5, RecordedAt: recordedAt, Reason: null);
}
