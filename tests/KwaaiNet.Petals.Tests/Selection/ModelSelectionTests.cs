// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Petals.Map;
using KwaaiNet.Petals.Selection;
using static KwaaiNet.Petals.Tests.Selection.MapReports;

namespace KwaaiNet.Petals.Tests.Selection;

public sealed class ModelSelectionTests
{
    private static readonly MapModelReport Llama8B = Report(
        "unsloth/Llama-3.1-8B-Instruct", "Llama-3-1-8B-Instruct", 32, ("A", 0, 8, 1.0, "online"), ("B", 8, 16, 1.0, "online"));

    private static readonly MapModelReport Llama70B = Report(
        "meta-llama/Llama-2-70b-chat-hf", "Llama-2-70b-chat-hf", 80,
        ("A", 0, 8, 1.0, "online"), ("B", 8, 16, 1.0, "online"), ("C", 16, 24, 1.0, "online"), ("D", 24, 32, 1.0, "online"), ("E", 32, 40, 1.0, "online"));

    /// <summary>Upstream's own examples (<c>map.rs</c> <c>match_score</c> docs).</summary>
    [Theory]
    [InlineData("llama3.1:8b", "Llama-3.1-8B-Instruct", "Llama-3-1-8B-Instruct-hf", 2)]
    [InlineData("llama3.1:70b", "Llama-3.1-8B-Instruct", "Llama-3-1-8B-Instruct-hf", 1)]
    [InlineData("Llama-3.1-8B-Instruct-Q4_K_M", "Llama-3.1-8B-Instruct", "Llama-3-1-8B-Instruct", 2)]
    [InlineData("mistral:7b", "Llama-3.1-8B-Instruct", "Llama-3-1-8B-Instruct-hf", 0)]
    [InlineData("qwen2.5", "Llama-2-70b-chat-hf", "Llama-2-70b-chat-hf", 0)]
    public void MatchScore_UpstreamCases(string local, string shortName, string prefix, int expected)
    {
        var report = Report("org/" + shortName, prefix, 32) with { ShortName = shortName };

        Assert.Equal(expected, ModelSelection.MatchScore(local, report));
    }

    [Fact]
    public void PickBestModel_StrongerMatchWinsOverMoreServers()
    {
        // llama2:13b matches the 70B report only partly (1); llama3.1:8b matches the 8B report strongly (2).
        var choice = ModelSelection.PickBestModel(["llama2:13b", "llama3.1:8b"], [Llama8B, Llama70B], "llama3.1:8b");

        Assert.NotNull(choice);
        Assert.Equal("llama3.1:8b", choice.Model);
        Assert.Same(Llama8B, choice.Report);
        Assert.Equal((2, 2), (choice.Score, choice.ServerCount));
    }

    [Fact]
    public void PickBestModel_EqualScores_MostServersWin()
    {
        var choice = ModelSelection.PickBestModel(["llama-2-70b-chat", "llama3.1:8b"], [Llama8B, Llama70B], "tinyllama");

        Assert.NotNull(choice);
        Assert.Equal("llama-2-70b-chat", choice.Model);
        Assert.Equal(5, choice.ServerCount);
        Assert.False(choice.Kept);
    }

    [Fact]
    public void PickBestModel_CurrentWithinTwoServersOfTheBest_IsKept()
    {
        var close = Llama70B with { ServerRows = [.. Llama70B.ServerRows.Take(4)] };

        var kept = ModelSelection.PickBestModel(["llama-2-70b-chat", "llama3.1:8b"], [Llama8B, close], "llama3.1:8b");
        var switched = ModelSelection.PickBestModel(["llama-2-70b-chat", "llama3.1:8b"], [Llama8B, Llama70B], "llama3.1:8b");

        Assert.Equal(("llama3.1:8b", true), (kept?.Model, kept?.Kept ?? false));
        Assert.Equal("llama-2-70b-chat", switched?.Model);
    }

    [Fact]
    public void PickBestModel_NothingMatchesOrNothingLocal_ReturnsNull()
    {
        Assert.Null(ModelSelection.PickBestModel(["mistral:7b"], [Llama8B], "mistral:7b"));
        Assert.Null(ModelSelection.PickBestModel([], [Llama8B], "llama3.1:8b"));
        Assert.Null(ModelSelection.PickBestModel(["llama3.1:8b"], [], "llama3.1:8b"));
    }

    [Theory]
    [InlineData("llama3.1:8b", true)]
    [InlineData("tiny", true)]
    [InlineData("unsloth/Llama-3.1-8B-Instruct", false)]
    [InlineData("hf.co/org/model:Q4", false)]
    public void IsOllamaStyle_IsNoSlash(string model, bool expected) => Assert.Equal(expected, ModelSelection.IsOllamaStyle(model));

    [Fact]
    public void FindReport_HuggingFaceRepository_MatchesByPrefixOrName()
    {
        Assert.Same(Llama8B, ModelSelection.FindReport("meta/Llama-3.1-8B-Instruct", [Llama70B, Llama8B]));
        var renamed = Llama70B with { DhtPrefix = "x", DhtPrefixes = ["x"] };
        Assert.Same(renamed, ModelSelection.FindReport("META-LLAMA/llama-2-70b-chat-hf", [Llama8B, renamed]));
        Assert.Null(ModelSelection.FindReport("mistralai/Mistral-7B", [Llama8B, Llama70B]));
    }
}
