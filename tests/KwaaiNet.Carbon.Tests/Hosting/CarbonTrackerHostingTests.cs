// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Threading.Channels;
using KwaaiNet.Carbon.Hosting;
using KwaaiNet.Carbon.Tests.Energy;
using KwaaiNet.Contracts.Carbon.V1;
using KwaaiNet.Contracts.Hosting;
using KwaaiNet.Contracts.Messages;
using KwaaiNet.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Carbon.Tests.Hosting;

public sealed class CarbonTrackerHostingTests : IDisposable
{
    private const string Package0 = "intel-rapl:0";
    private const string Core0 = "intel-rapl:0/intel-rapl:0:0";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly PowercapTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public async Task GetFootprint_FakeRaplTree_ReturnsMeasuredZones()
    {
        var ct = TestContext.Current.CancellationToken;
        _tree.AddZone(Package0, "package-0", 1_000_000);
        _tree.AddZone(Core0, "core", 500_000);
        await using var host = await StartAsync(Settings(_tree.Root), ct);
        var client = new CarbonTracker.CarbonTrackerClient(host.Channel);

        var footprint = await client.GetFootprintAsync(new GetFootprintRequest(), cancellationToken: ct);

        Assert.True(footprint.Measured, footprint.Reason);
        Assert.Equal("rapl", footprint.Source);
        Assert.Equal(string.Empty, footprint.Reason);
        Assert.NotNull(footprint.MeasuredAt);
        Assert.Equal(["intel-rapl:0", "intel-rapl:0:0"], footprint.Zones.Select(static z => z.Id));
        Assert.Equal(["package-0", "core"], footprint.Zones.Select(static z => z.Name));
        Assert.All(footprint.Zones, static z => Assert.True(z.Measured));
        Assert.Equal([true, false], footprint.Zones.Select(static z => z.IncludedInTotal));
    }

    [Fact]
    public async Task GetFootprint_CounterIncreases_EnergyIncreases()
    {
        var ct = TestContext.Current.CancellationToken;
        _tree.AddZone(Package0, "package-0", 1_000_000);
        await using var host = await StartAsync(Settings(_tree.Root), ct);
        var client = new CarbonTracker.CarbonTrackerClient(host.Channel);

        var before = await client.GetFootprintAsync(new GetFootprintRequest(), cancellationToken: ct);
        _tree.SetEnergy(Package0, 3_500_000);
        var after = await client.GetFootprintAsync(new GetFootprintRequest(), cancellationToken: ct);

        Assert.True(after.Measured, after.Reason);
        Assert.Equal(0, before.EnergyJoules);
        Assert.Equal(2.5, after.EnergyJoules, 9);
        Assert.Equal(2.5, Assert.Single(after.Zones).EnergyJoules, 9);
    }

    [Fact]
    public async Task GetFootprint_RootMissing_UnmeasuredWithReasonNamingRoot()
    {
        var ct = TestContext.Current.CancellationToken;
        var root = Path.Combine(_tree.Root, "absent");
        await using var host = await StartAsync(Settings(root), ct);
        var client = new CarbonTracker.CarbonTrackerClient(host.Channel);

        var footprint = await client.GetFootprintAsync(new GetFootprintRequest(), cancellationToken: ct);

        Assert.False(footprint.Measured);
        Assert.Equal("rapl", footprint.Source);
        Assert.Equal(0, footprint.EnergyJoules);
        Assert.Contains(root, footprint.Reason, StringComparison.Ordinal);
        Assert.Empty(footprint.Zones);
    }

    [Fact]
    public async Task SamplePublisher_FakeRaplTree_PublishesMeasuredSamplesEachPeriod()
    {
        var ct = TestContext.Current.CancellationToken;
        _tree.AddZone(Package0, "package-0", 1_000_000);
        await using var host = await StartAsync(Settings(_tree.Root), ct, withSink: true);
        var sink = host.App.Services.GetRequiredService<SampleSink>();

        var first = await sink.NextAsync(static s => s.Measured, ct).WaitAsync(Timeout, ct);
        _tree.SetEnergy(Package0, 2_000_000);
        var later = await sink.NextAsync(static s => s.EnergyJoules >= 1.0, ct).WaitAsync(Timeout, ct);

        Assert.Equal("rapl", first.Source);
        Assert.Null(first.Reason);
        Assert.Equal(0, first.EnergyJoules);
        Assert.Equal(1.0, later.EnergyJoules!.Value, 9);
        Assert.True(later.RecordedAt > first.RecordedAt);
    }

    [Fact]
    public async Task SamplePublisher_RootMissing_PublishesUnmeasuredSample()
    {
        var ct = TestContext.Current.CancellationToken;
        var root = Path.Combine(_tree.Root, "absent");
        await using var host = await StartAsync(Settings(root), ct, withSink: true);
        var sink = host.App.Services.GetRequiredService<SampleSink>();

        var sample = await sink.NextAsync(static _ => true, ct).WaitAsync(Timeout, ct);

        Assert.False(sample.Measured);
        Assert.Null(sample.EnergyJoules);
        Assert.Contains(root, sample.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:00:00.050")]
    [InlineData("02:00:00")]
    public async Task Start_SamplePeriodOutOfRange_ThrowsOptionsValidationException(string period)
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = Settings(_tree.Root);
        settings["KwaaiNet:Carbon:SamplePeriod"] = period;

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(settings, ct));

        Assert.Contains(nameof(CarbonOptions.SamplePeriod), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_PowercapRootEmpty_ThrowsOptionsValidationException()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = Settings(_tree.Root);
        settings["KwaaiNet:Carbon:Rapl:PowercapRoot"] = string.Empty;

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(settings, ct));

        Assert.Contains("PowercapRoot", error.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> Settings(string powercapRoot) => new()
    {
        ["KwaaiNet:Carbon:Rapl:PowercapRoot"] = powercapRoot,
        ["KwaaiNet:Carbon:SamplePeriod"] = "00:00:00.200",
    };

    private static Task<ModuleHost> StartAsync(Dictionary<string, string?> settings, CancellationToken cancellationToken, bool withSink = false) =>
        ModuleHost.StartAsync(
            b =>
            {
                b.AddCarbonTracker();
                if (withSink)
                {
                    // The module's bus is shared: this registers one more consumer on it.
                    b.Services.AddSingleton<SampleSink>();
                    b.AddMessageBus(static bus => bus.AddConsumer<SampleSinkConsumer>());
                }
            },
            static a => a.MapCarbonTracker(),
            settings,
            cancellationToken);

    /// <summary>The samples the test consumer received, in order.</summary>
    private sealed class SampleSink
    {
        private readonly Channel<CarbonSampleRecorded> _samples = Channel.CreateUnbounded<CarbonSampleRecorded>();

        public void Add(CarbonSampleRecorded sample) => _samples.Writer.TryWrite(sample);

        /// <summary>Skips samples until one matches <paramref name="match"/>.</summary>
        public async Task<CarbonSampleRecorded> NextAsync(Func<CarbonSampleRecorded, bool> match, CancellationToken cancellationToken)
        {
            while (true)
            {
                var sample = await _samples.Reader.ReadAsync(cancellationToken);
                if (match(sample))
                {
                    return sample;
                }
            }
        }
    }

    private sealed class SampleSinkConsumer(SampleSink sink) : IConsumer<CarbonSampleRecorded>
    {
        public Task Consume(ConsumeContext<CarbonSampleRecorded> context)
        {
            sink.Add(context.Message);
            return Task.CompletedTask;
        }
    }
}
