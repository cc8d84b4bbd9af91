// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Messages;
using KwaaiNet.Petals.Map;
using Microsoft.Extensions.Time.Testing;

namespace KwaaiNet.Petals.Tests.Map;

public sealed class NetworkMapTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start);

    [Fact]
    public void Snapshot_New_IsEmptyAndGeneratedNow()
    {
        var map = new NetworkMap(_time);

        Assert.Empty(map.Snapshot.Servers);
        Assert.Null(map.Snapshot.LatestCarbonSample);
        Assert.Equal(Start, map.Snapshot.GeneratedAt);
    }

    [Fact]
    public void RecordCarbonSample_NewerSample_KeepsLatest()
    {
        var map = new NetworkMap(_time);
        var first = Sample(energyJoules: 1, recordedAt: Start);
        var second = Sample(energyJoules: 2, recordedAt: Start.AddSeconds(15));

        map.RecordCarbonSample(first);
        map.RecordCarbonSample(second);

        Assert.Same(second, map.Snapshot.LatestCarbonSample);
    }

    [Fact]
    public void RecordCarbonSample_OlderSampleAfterNewer_KeepsNewer()
    {
        var map = new NetworkMap(_time);
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
        var map = new NetworkMap(_time);
        var held = Sample(energyJoules: 1, recordedAt: Start);
        var redelivered = Sample(energyJoules: 1, recordedAt: Start);

        map.RecordCarbonSample(held);
        map.RecordCarbonSample(redelivered);

        Assert.Same(redelivered, map.Snapshot.LatestCarbonSample);
    }

    [Fact]
    public void RecordCarbonSample_AfterTimeAdvance_GeneratedAtFromTimeProvider()
    {
        var map = new NetworkMap(_time);
        _time.Advance(TimeSpan.FromMinutes(3));

        map.RecordCarbonSample(Sample(energyJoules: 1, recordedAt: Start));

        Assert.Equal(Start.AddMinutes(3), map.Snapshot.GeneratedAt);
    }

    [Fact]
    public void RecordCarbonSample_Null_Throws()
    {
        var map = new NetworkMap(_time);

        Assert.Throws<ArgumentNullException>(() => map.RecordCarbonSample(null!));
    }

    private static CarbonSampleRecorded Sample(double energyJoules, DateTimeOffset recordedAt) =>
        new(Measured: true, Source: "rapl", EnergyJoules: energyJoules, AveragePowerWatts: 1.5, RecordedAt: recordedAt, Reason: null);
}
