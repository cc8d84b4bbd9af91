// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Petals.Records;

namespace KwaaiNet.Petals.Tests.Records;

public sealed class DhtPrefixTests
{
    [Theory]
    [InlineData("unsloth/Llama-3.1-8B-Instruct", "Llama-3-1-8B-Instruct")]
    [InlineData("meta-llama/Llama-2-70b-chat-hf", "Llama-2-70b-chat-hf")]
    [InlineData("org/Model-Name.1B", "Model-Name-1B")]
    [InlineData("llama3.1:8b", "llama3-1:8b")] // an Ollama reference: no '/'
    [InlineData("hf.co/bartowski/Qwen2.5-0.5B-GGUF:Q4_K_M", "Qwen2-5-0-5B-GGUF:Q4_K_M")]
    public void ForKwaaiNet_ModelName_IsTheBaseNameWithDashesAndNoSuffix(string model, string expected)
    {
        Assert.Equal(expected, DhtPrefix.ForKwaaiNet(model));
    }

    [Fact]
    public void ForKwaaiNet_MapPrefixKnown_WinsOverTheName()
    {
        Assert.Equal("Llama-3-1-8B-Instruct-hf", DhtPrefix.ForKwaaiNet("llama3.1:8b", "Llama-3-1-8B-Instruct-hf"));
        Assert.Equal("llama3-1:8b", DhtPrefix.ForKwaaiNet("llama3.1:8b", string.Empty));
    }

    [Theory]
    [InlineData("meta-llama/Meta-Llama-3.1-8B", "Meta-Llama-3-1-8B-hf")]
    [InlineData("unsloth/Llama-3.1-8B-Instruct", "Llama-3-1-8B-Instruct-hf")]
    [InlineData("meta-llama/Llama-2-70b-chat-hf", "Llama-2-70b-chat-hf")] // already ends in -hf
    [InlineData("Llama-3-1-8B-Instruct", "Llama-3-1-8B-Instruct-hf")] // a KwaaiNet prefix
    public void ForPetals_ModelName_AppendsHfUnlessPresent(string model, string expected)
    {
        Assert.Equal(expected, DhtPrefix.ForPetals(model));
    }

    [Fact]
    public void ForPetals_OfKwaaiNetPrefix_IsThePetalsPrefixOfTheModel()
    {
        const string model = "unsloth/Llama-3.1-8B-Instruct";

        Assert.Equal(DhtPrefix.ForPetals(model), DhtPrefix.ForPetals(DhtPrefix.ForKwaaiNet(model)));
        Assert.NotEqual(DhtPrefix.ForKwaaiNet(model), DhtPrefix.ForPetals(model));
    }

    [Theory]
    [InlineData("org/")]
    [InlineData("")]
    [InlineData("My Model")]
    public void Prefix_ModelGivingNoValidPrefix_Throws(string model)
    {
        Assert.Throws<ArgumentException>(() => DhtPrefix.ForKwaaiNet(model));
        Assert.Throws<ArgumentException>(() => DhtPrefix.ForPetals(model));
    }

    [Fact]
    public void ForKwaaiNet_MapPrefixWithADot_Throws()
    {
        Assert.Throws<ArgumentException>(() => DhtPrefix.ForKwaaiNet("m", "bad.prefix"));
    }

    [Theory]
    [InlineData("_private", true)]
    [InlineData("Llama-3-1-8B-Instruct", false)]
    public void IsPrivate_LeadingUnderscore_IsPrivate(string prefix, bool expected)
    {
        Assert.Equal(expected, DhtPrefix.IsPrivate(prefix));
    }
}
