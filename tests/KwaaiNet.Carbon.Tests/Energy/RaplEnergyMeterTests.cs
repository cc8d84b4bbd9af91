// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Runtime.Versioning;
using KwaaiNet.Carbon.Energy;
using Microsoft.Extensions.Time.Testing;

namespace KwaaiNet.Carbon.Tests.Energy;

public sealed class RaplEnergyMeterTests : IDisposable
{
    private const string Package0 = "intel-rapl:0";
    private const string Package1 = "intel-rapl:1";

    private readonly PowercapTree _tree = new();
    private readonly FakeTimeProvider _time = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void Read_TwoPackages_SumsPackageEnergy()
    {
        _tree.AddZone(Package0, "package-0", 1_000_000);
        _tree.AddZone(Package1, "package-1", 2_000_000);
        var meter = CreateMeter();

        var first = meter.Read();
        _tree.SetEnergy(Package0, 3_000_000);
        _tree.SetEnergy(Package1, 2_500_000);
        var second = meter.Read();

        Assert.True(first.IsMeasured, first.Reason);
        Assert.Equal(0, first.EnergyJoules);
        Assert.True(second.IsMeasured, second.Reason);
        Assert.Equal(RaplEnergyMeter.SourceName, second.Source);
        Assert.Equal(2.5, second.EnergyJoules!.Value, 9);
        Assert.Equal([(Package0, 2.0), (Package1, 0.5)], second.Zones.Select(z => (z.ZoneId, z.EnergyJoules!.Value)));
        Assert.All(second.Zones, z => Assert.True(z.IncludedInTotal));
    }

    [Fact]
    public void Read_SubzonesNestedAndTopLevel_NotDoubleCounted()
    {
        _tree.AddZone(Package0, "package-0", 10_000_000);
        _tree.AddZone($"{Package0}/intel-rapl:0:0", "core", 5_000_000);
        _tree.AddZone($"{Package0}/intel-rapl:0:2", "dram", 7_000_000);

        // The kernel also lists subzones at the top level; the same zone must be read once.
        _tree.AddZone("intel-rapl:0:0", "core", 5_000_000);
        var meter = CreateMeter();

        meter.Read();
        _tree.SetEnergy(Package0, 12_000_000);
        _tree.SetEnergy($"{Package0}/intel-rapl:0:0", 6_500_000);
        _tree.SetEnergy("intel-rapl:0:0", 6_500_000);
        _tree.SetEnergy($"{Package0}/intel-rapl:0:2", 8_000_000);
        var reading = meter.Read();

        Assert.True(reading.IsMeasured, reading.Reason);
        Assert.Equal(2.0, reading.EnergyJoules!.Value, 9);
        Assert.Equal(["intel-rapl:0", "intel-rapl:0:0", "intel-rapl:0:2"], reading.Zones.Select(z => z.ZoneId));
        var core = Assert.Single(reading.Zones, z => z.Name == "core");
        Assert.False(core.IncludedInTotal);
        Assert.Equal(1.5, core.EnergyJoules!.Value, 9);
        var dram = Assert.Single(reading.Zones, z => z.Name == "dram");
        Assert.False(dram.IncludedInTotal);
        Assert.Equal(1.0, dram.EnergyJoules!.Value, 9);
    }

    [Fact]
    public void Read_MmioZonePresent_NotCounted()
    {
        _tree.AddZone(Package0, "package-0", 0);
        _tree.AddZone("intel-rapl-mmio:0", "package-0", 0);
        var meter = CreateMeter();

        meter.Read();
        _tree.SetEnergy(Package0, 4_000_000);
        _tree.SetEnergy("intel-rapl-mmio:0", 4_000_000);
        var reading = meter.Read();

        Assert.Equal(4.0, reading.EnergyJoules!.Value, 9);
        Assert.Equal([Package0], reading.Zones.Select(z => z.ZoneId));
    }

    [Fact]
    public void Read_AmdPrefix_Discovered()
    {
        _tree.AddZone("amd-rapl:0", "package-0", 100);
        var meter = CreateMeter();

        meter.Read();
        _tree.SetEnergy("amd-rapl:0", 1_000_100);
        var reading = meter.Read();

        Assert.True(reading.IsMeasured, reading.Reason);
        Assert.Equal(1.0, reading.EnergyJoules!.Value, 9);
    }

    [Fact]
    public void Read_CounterWrapsAroundRange_AddsWrappedDelta()
    {
        _tree.AddZone(Package0, "package-0", 900_000, range: 1_000_000);
        var meter = CreateMeter();

        meter.Read();
        _tree.SetEnergy(Package0, 100_000);
        var reading = meter.Read();

        Assert.True(reading.IsMeasured, reading.Reason);
        Assert.Equal(0.2, reading.EnergyJoules!.Value, 9);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0UL)]
    public void Read_CounterDecreasesWithoutRange_IgnoresInterval(ulong? range)
    {
        _tree.AddZone(Package0, "package-0", 5_000_000, range);
        var meter = CreateMeter();

        meter.Read();
        _tree.SetEnergy(Package0, 1_000_000);
        var afterReset = meter.Read();
        _tree.SetEnergy(Package0, 1_500_000);
        var afterGrowth = meter.Read();

        Assert.True(afterReset.IsMeasured, afterReset.Reason);
        Assert.Equal(0, afterReset.EnergyJoules);
        Assert.Equal(0.5, afterGrowth.EnergyJoules!.Value, 9);
    }

    [Fact]
    public void Read_AfterTimeAdvance_ReportsAveragePower()
    {
        _tree.AddZone(Package0, "package-0", 0);
        var meter = CreateMeter();

        var first = meter.Read();
        _time.Advance(TimeSpan.FromSeconds(5));
        _tree.SetEnergy(Package0, 10_000_000);
        var second = meter.Read();
        _time.Advance(TimeSpan.FromSeconds(2));
        _tree.SetEnergy(Package0, 11_000_000);
        var third = meter.Read();

        Assert.Null(first.AveragePowerWatts);
        Assert.Equal(2.0, second.AveragePowerWatts!.Value, 9);
        Assert.Equal(0.5, third.AveragePowerWatts!.Value, 9);
        Assert.Equal(_time.GetUtcNow(), third.Timestamp);
    }

    [Fact]
    public void Read_NoTimeElapsed_AveragePowerNull()
    {
        _tree.AddZone(Package0, "package-0", 0);
        var meter = CreateMeter();

        meter.Read();
        _tree.SetEnergy(Package0, 1_000_000);
        var reading = meter.Read();

        Assert.Equal(1.0, reading.EnergyJoules!.Value, 9);
        Assert.Null(reading.AveragePowerWatts);
    }

    [Fact]
    public void Read_MissingRoot_UnmeasuredWithReason()
    {
        var root = Path.Combine(_tree.Root, "absent");
        var meter = CreateMeter(root);

        var reading = meter.Read();

        Assert.False(reading.IsMeasured);
        Assert.Null(reading.EnergyJoules);
        Assert.Equal(RaplEnergyMeter.SourceName, reading.Source);
        Assert.StartsWith($"no RAPL zones under {root}", reading.Reason, StringComparison.Ordinal);
        Assert.Empty(reading.Zones);
    }

    [Fact]
    public void Read_EmptyRoot_UnmeasuredWithReason()
    {
        Directory.CreateDirectory(Path.Combine(_tree.Root, "not-a-zone"));
        var meter = CreateMeter();

        var reading = meter.Read();

        Assert.False(reading.IsMeasured);
        Assert.Equal($"no RAPL zones under {_tree.Root}", reading.Reason);
    }

    [Fact]
    public void Read_ZonesAppearAfterStart_DiscoveredOnLaterRead()
    {
        var meter = CreateMeter();
        var before = meter.Read();

        _tree.AddZone(Package0, "package-0", 0);
        var after = meter.Read();

        Assert.False(before.IsMeasured);
        Assert.True(after.IsMeasured, after.Reason);
    }

    [Fact]
    public void Read_EnergyFileIsDirectory_UnmeasuredWithReasonNamingFile()
    {
        _tree.AddZone(Package0, "package-0", 0);
        var energyPath = _tree.PathOf(Package0, "energy_uj");
        File.Delete(energyPath);
        Directory.CreateDirectory(energyPath);
        var meter = CreateMeter();

        var reading = meter.Read();

        Assert.False(reading.IsMeasured);
        Assert.Contains(energyPath, reading.Reason, StringComparison.Ordinal);
        var zone = Assert.Single(reading.Zones);
        Assert.False(zone.IsMeasured);
        Assert.Contains("is a directory", zone.Reason, StringComparison.Ordinal);
    }

    [Fact]
    [SupportedOSPlatform("linux")]
    public void Read_EnergyFileNotReadable_UnmeasuredWithPermissionReason()
    {
        // root reads a mode-000 file regardless (CAP_DAC_OVERRIDE), so this runs only unprivileged.
        Assert.SkipUnless(OperatingSystem.IsLinux(), "powercap is Linux-only");
        Assert.SkipWhen(Environment.IsPrivilegedProcess, "root bypasses file modes");
        _tree.AddZone(Package0, "package-0", 0);
        var energyPath = _tree.PathOf(Package0, "energy_uj");
        File.SetUnixFileMode(energyPath, UnixFileMode.None);
        var meter = CreateMeter();

        var reading = meter.Read();

        Assert.False(reading.IsMeasured);
        Assert.Contains("permission denied", reading.Reason, StringComparison.Ordinal);
        Assert.Contains("root", reading.Reason, StringComparison.Ordinal);
        Assert.Contains(energyPath, reading.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not-a-number\n")]
    [InlineData("-5\n")]
    [InlineData("1.5\n")]
    [InlineData("1,000\n")]
    [InlineData("")]
    [InlineData("99999999999999999999999\n")]
    public void Read_EnergyFileHoldsGarbage_UnmeasuredNamingFile(string content)
    {
        _tree.AddZone(Package0, "package-0", 0);
        _tree.WriteFile(Package0, "energy_uj", content);
        var meter = CreateMeter();

        var reading = meter.Read();

        Assert.False(reading.IsMeasured);
        Assert.Null(reading.EnergyJoules);
        Assert.Contains(_tree.PathOf(Package0, "energy_uj"), reading.Reason, StringComparison.Ordinal);
        Assert.Contains("unsigned decimal counter", reading.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_RangeFileHoldsGarbage_UnmeasuredNamingFile()
    {
        _tree.AddZone(Package0, "package-0", 0);
        _tree.WriteFile(Package0, "max_energy_range_uj", "lots\n");
        var meter = CreateMeter();

        var reading = meter.Read();

        Assert.False(reading.IsMeasured);
        Assert.Contains(_tree.PathOf(Package0, "max_energy_range_uj"), reading.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_SubzoneHoldsGarbage_TotalStillMeasured()
    {
        _tree.AddZone(Package0, "package-0", 0);
        _tree.AddZone($"{Package0}/intel-rapl:0:0", "core", 0);
        _tree.WriteFile($"{Package0}/intel-rapl:0:0", "energy_uj", "garbage\n");
        var meter = CreateMeter();

        meter.Read();
        _tree.SetEnergy(Package0, 3_000_000);
        var reading = meter.Read();

        Assert.True(reading.IsMeasured, reading.Reason);
        Assert.Equal(3.0, reading.EnergyJoules!.Value, 9);
        var core = Assert.Single(reading.Zones, z => z.ZoneId == "intel-rapl:0:0");
        Assert.False(core.IsMeasured);
        Assert.Contains("energy_uj", core.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_CounterReadableAgain_CountsFromEarlierBaseline()
    {
        _tree.AddZone(Package0, "package-0", 1_000_000);
        var meter = CreateMeter();

        meter.Read();
        _tree.WriteFile(Package0, "energy_uj", "garbage\n");
        var broken = meter.Read();
        _tree.SetEnergy(Package0, 4_000_000);
        var recovered = meter.Read();

        Assert.False(broken.IsMeasured);
        Assert.True(recovered.IsMeasured, recovered.Reason);
        Assert.Equal(3.0, recovered.EnergyJoules!.Value, 9);
    }

    [Fact]
    public void Read_PsysPresent_CountsPsysOnly()
    {
        _tree.AddZone(Package0, "package-0", 0);
        _tree.AddZone(Package1, "psys", 0);
        var meter = CreateMeter();

        meter.Read();
        _tree.SetEnergy(Package0, 2_000_000);
        _tree.SetEnergy(Package1, 5_000_000);
        var reading = meter.Read();

        Assert.True(reading.IsMeasured, reading.Reason);
        Assert.Equal(5.0, reading.EnergyJoules!.Value, 9);
        var package = Assert.Single(reading.Zones, z => z.Name == "package-0");
        Assert.False(package.IncludedInTotal);
        Assert.Equal(2.0, package.EnergyJoules!.Value, 9);
    }

    [Fact]
    public void Read_OversizedCounterFile_UnmeasuredWithBoundInReason()
    {
        _tree.AddZone(Package0, "package-0", 0);
        _tree.WriteFile(Package0, "energy_uj", new string('1', 1024 * 1024));
        var meter = CreateMeter();

        var reading = meter.Read();

        Assert.False(reading.IsMeasured);
        Assert.Contains("more than 64 bytes", reading.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MoreZonesThanCap_KeepsPackagesFirstUpToCap()
    {
        for (var i = 0; i < 70; i++)
        {
            _tree.AddZone($"intel-rapl:{i}/intel-rapl:{i}:0", "core", 0);
            _tree.AddZone($"intel-rapl:{i}", $"package-{i}", 0);
        }

        var meter = CreateMeter();

        var reading = meter.Read();

        Assert.Equal(64, reading.Zones.Count);
        Assert.All(reading.Zones, z => Assert.StartsWith("package-", z.Name, StringComparison.Ordinal));
        Assert.Equal("intel-rapl:9", reading.Zones[9].ZoneId);
        Assert.Equal("intel-rapl:10", reading.Zones[10].ZoneId);
    }

    [Fact]
    public void Read_ConcurrentReads_CountEachDeltaOnce()
    {
        // Many short rounds of reads released together by a barrier: without the lock, two reads
        // sampling the same delta add it twice and a reading shows more than 5 J.
        const int Rounds = 1000;
        var threads = Math.Max(4, Environment.ProcessorCount);
        _tree.AddZone(Package0, "package-0", 0);
        var totals = new double?[Rounds * threads];
        for (var round = 0; round < Rounds; round++)
        {
            _tree.SetEnergy(Package0, 0);
            var meter = CreateMeter();
            meter.Read();
            _tree.SetEnergy(Package0, 5_000_000);
            using var barrier = new Barrier(threads);
            var offset = round * threads;
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
            {
                barrier.SignalAndWait(TestContext.Current.CancellationToken);
                totals[offset + i] = meter.Read().EnergyJoules;
            });
        }

        Assert.All(totals, total => Assert.Equal(5.0, total!.Value, 9));
    }

    [Fact]
    public void Constructor_BlankRoot_Throws()
    {
        Assert.Throws<ArgumentException>(() => new RaplEnergyMeter(new RaplOptions { PowercapRoot = " " }, _time));
    }

    private RaplEnergyMeter CreateMeter(string? root = null) =>
        new(new RaplOptions { PowercapRoot = root ?? _tree.Root }, _time);
}
