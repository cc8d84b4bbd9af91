// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text.Json;
using KwaaiNet.Contracts.Messages;
using KwaaiNet.Petals.Map;

namespace KwaaiNet.Petals.Tests.Map;

public sealed class MapStateDocumentTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Theory]
    [InlineData("bootstrap_states", JsonValueKind.Array)]
    [InlineData("model_reports", JsonValueKind.Array)]
    [InlineData("num_peers", JsonValueKind.Number)]
    [InlineData("num_blocks_covered", JsonValueKind.Number)]
    [InlineData("top_contributors", JsonValueKind.Array)]
    [InlineData("reachability_issues", JsonValueKind.Array)]
    [InlineData("last_updated", JsonValueKind.String)]
    [InlineData("update_period", JsonValueKind.Number)]
    [InlineData("update_duration", JsonValueKind.Number)]
    [InlineData("carbon", JsonValueKind.Object)]
    public void Serialize_Document_HasMapContractKey(string key, JsonValueKind kind)
    {
        var sample = new CarbonSampleRecorded(true, "rapl", 10, 2, At, null);
        var document = new NetworkMapSnapshot(MapStateDocument.Empty(At, TimeSpan.FromSeconds(60)), sample, At).ToStateDocument();

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(document));

        Assert.True(json.RootElement.TryGetProperty(key, out var value), $"missing key {key}");
        Assert.Equal(kind, value.ValueKind);
    }

    [Fact]
    public void Serialize_Document_HasOnlyContractKeys()
    {
        var document = new NetworkMapSnapshot(MapStateDocument.Empty(At, TimeSpan.FromSeconds(60)), null, At).ToStateDocument();

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(document));

        Assert.Equal(
            ["bootstrap_states", "carbon", "last_updated", "model_reports", "num_blocks_covered", "num_peers", "reachability_issues", "top_contributors", "update_duration", "update_period"],
            json.RootElement.EnumerateObject().Select(static p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("carbon").ValueKind);
    }

    [Fact]
    public void Empty_TimeAndPeriod_AreCopied()
    {
        var document = MapStateDocument.Empty(At, TimeSpan.FromSeconds(90));

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(document));

        Assert.Equal(90, json.RootElement.GetProperty("update_period").GetDouble());
        Assert.Equal(0, json.RootElement.GetProperty("update_duration").GetDouble());
        Assert.Equal(At, json.RootElement.GetProperty("last_updated").GetDateTimeOffset());
    }

    [Fact]
    public void ToStateDocument_MeasuredSample_CarriesSample()
    {
        var sample = new CarbonSampleRecorded(true, "rapl", 10.5, 2.25, At, null);

        var document = new NetworkMapSnapshot(MapStateDocument.Empty(At, TimeSpan.FromSeconds(60)), sample, At).ToStateDocument();
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(document));

        Assert.Equal(MapCarbonSample.From(sample), document.Carbon);
        Assert.Equal(MapCarbonSample.From(sample), json.RootElement.GetProperty("carbon").Deserialize<MapCarbonSample>());
        Assert.Equal(2.25, json.RootElement.GetProperty("carbon").GetProperty("average_power_watts").GetDouble());
    }
}
