// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Petals.Records;

namespace KwaaiNet.Petals.Tests.Records;

public sealed class ModuleUidTests
{
    [Fact]
    public void Format_PrefixAndBlock_JoinsThemWithADot()
    {
        Assert.Equal("Llama-2-70b-chat-hf.17", ModuleUid.Format("Llama-2-70b-chat-hf", 17));
    }

    [Theory]
    [InlineData("_petals.models")] // a dot
    [InlineData("Llama 2")] // a space
    [InlineData("")]
    public void Format_InvalidPrefix_Throws(string prefix)
    {
        Assert.ThrowsAny<ArgumentException>(() => ModuleUid.Format(prefix, 0));
    }

    [Fact]
    public void Format_NegativeBlock_Throws()
    {
        Assert.ThrowsAny<ArgumentException>(() => ModuleUid.Format("bloom-petals", -1));
    }

    [Fact]
    public void ForSpan_StartAndEnd_GivesEveryBlockOfTheHalfOpenRange()
    {
        string[] expected = ["m.3", "m.4", "m.5"];

        Assert.Equal(expected, ModuleUid.ForSpan("m", 3, 6));
        Assert.Empty(ModuleUid.ForSpan("m", 6, 6));
        Assert.ThrowsAny<ArgumentException>(() => ModuleUid.ForSpan("m", 6, 5));
    }

    [Theory]
    [InlineData("Llama-3-1-8B-Instruct.0", "Llama-3-1-8B-Instruct", 0)]
    [InlineData("Qwen/Qwen3-8B-hf.35", "Qwen/Qwen3-8B-hf", 35)]
    [InlineData("m.007", "m", 7)]
    public void TryParse_ModuleKey_SplitsPrefixAndBlock(string uid, string prefix, int block)
    {
        Assert.True(ModuleUid.TryParse(uid, out var parsedPrefix, out var parsedBlock));
        Assert.Equal(prefix, parsedPrefix);
        Assert.Equal(block, parsedBlock);
    }

    [Theory]
    [InlineData("_petals.models")]
    [InlineData("_kwaai.inference.nodes")]
    [InlineData("m.1 m.2")] // a span, not a key
    [InlineData("m.-1")]
    [InlineData("m.+1")]
    [InlineData("m.")]
    [InlineData(".1")]
    [InlineData("m")]
    [InlineData("m.99999999999")]
    [InlineData(null)]
    public void TryParse_NotAModuleKey_ReturnsFalse(string? uid)
    {
        Assert.False(ModuleUid.TryParse(uid, out var prefix, out _));
        Assert.Null(prefix);
    }

    [Theory]
    [InlineData("_petals.models", "0a63ed21831f3f7d24f07949cea69a94476b4faf")]
    [InlineData("_kwaai.inference.nodes", "531c2cf657a8e75384a436a0dcf6d170c8040d8a")]
    [InlineData("Llama-3-1-8B-Instruct-hf.0", "cbb35b786725711fb1680f818a5b04ae3570e44f")]
    [InlineData("Llama-3-1-8B-Instruct.0", "821ccf962f07b3a728a8b3b8e1c6a5391fb6db37")]
    public void DhtId_RecordKeys_MatchTheResearchVectors(string key, string expectedId)
    {
        // research/kwaainet-upstream.md §4.2: DHTID = SHA1(msgpack str(key)).
        var id = DhtId.FromKey(key).ToBytes();

        Assert.Equal(expectedId, Convert.ToHexStringLower(id));
    }

    [Fact]
    public void DhtId_ModuleKeyFromPrefixes_MatchesTheResearchVector()
    {
        var key = ModuleUid.Format(DhtPrefix.ForPetals("unsloth/Llama-3.1-8B-Instruct"), 0);

        Assert.Equal("cbb35b786725711fb1680f818a5b04ae3570e44f", Convert.ToHexStringLower(DhtId.FromKey(key).ToBytes()));
    }

    [Fact]
    public void RecordKeys_AreTheUpstreamNames()
    {
        Assert.Equal("_petals.models", DhtRecordKeys.PetalsModels);
        Assert.Equal("_kwaai.inference.nodes", DhtRecordKeys.KwaaiInferenceNodes);
        Assert.Equal("_kwaai.vpk.nodes", DhtRecordKeys.KwaaiVpkNodes);
    }
}
