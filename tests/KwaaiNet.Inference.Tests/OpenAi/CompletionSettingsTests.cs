// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text.Json;
using KwaaiNet.Inference.OpenAi;
using KwaaiNet.Inference.OpenAi.Wire;

namespace KwaaiNet.Inference.Tests.OpenAi;

public sealed class CompletionSettingsTests
{
    [Fact]
    public void From_Defaults_SampleAtTemperatureOneWithNoStops()
    {
        var settings = CompletionSettings.From(new ChatCompletionRequest(), null, "max_tokens", 100);

        Assert.Equal((1f, 1f, (ulong?)null), (settings.Sampling.Temperature, settings.Sampling.TopP, settings.Sampling.Seed));
        Assert.Empty(settings.Stops);
        Assert.False(settings.Stream);
        Assert.Null(settings.MaxTokens);
    }

    [Fact]
    public void From_TopPZero_IsGreedy()
    {
        var settings = CompletionSettings.From(new ChatCompletionRequest { TopP = 0, Temperature = 0.7f, Seed = -1 }, 5, "max_tokens", 100);

        Assert.Equal((0f, 1f, ulong.MaxValue), (settings.Sampling.Temperature, settings.Sampling.TopP, settings.Sampling.Seed));
        Assert.Equal(5, settings.MaxTokens);
    }

    [Fact]
    public void From_StopStringOrList_AreTheStops()
    {
        Assert.Equal(["x"], CompletionSettings.From(new ChatCompletionRequest { Stop = Json("\"x\"") }, null, "max_tokens", 10).Stops);
        Assert.Equal(["a", "b"], CompletionSettings.From(new ChatCompletionRequest { Stop = Json("[\"a\", \"b\"]") }, null, "max_tokens", 10).Stops);
        Assert.Empty(CompletionSettings.From(new ChatCompletionRequest { Stop = Json("null") }, null, "max_tokens", 10).Stops);
    }

    [Theory]
    [InlineData("temperature")]
    [InlineData("top_p")]
    [InlineData("n")]
    [InlineData("max_tokens")]
    [InlineData("stop")]
    [InlineData("frequency_penalty")]
    [InlineData("stream_options")]
    public void From_BadValue_IsAnInvalidRequestNamingTheField(string param)
    {
        var request = param switch
        {
            "temperature" => new ChatCompletionRequest { Temperature = float.NaN },
            "top_p" => new ChatCompletionRequest { TopP = 1.5f },
            "n" => new ChatCompletionRequest { N = 3 },
            "stop" => new ChatCompletionRequest { Stop = Json("[\"1\", \"2\", \"3\", \"4\", \"5\"]") },
            "frequency_penalty" => new ChatCompletionRequest { FrequencyPenalty = 0.5f },
            "stream_options" => new ChatCompletionRequest { StreamOptions = new StreamOptionsRequest { IncludeUsage = true } },
            _ => new ChatCompletionRequest(),
        };

        var error = Assert.Throws<OpenAiRequestException>(() => CompletionSettings.From(request, param == "max_tokens" ? 101 : null, "max_tokens", 100));

        Assert.Equal((400, "invalid_request_error", param), (error.Error.Status, error.Error.Type, error.Error.Param));
    }

    [Fact]
    public void Validator_DefaultAboveTheCeilingOrAnEmptyKey_Fails()
    {
        var options = new OpenAiOptions { DefaultMaxTokens = 10, MaxTokens = 5 };
        options.ApiKeys.Add(" ");

        var result = new OpenAiOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("DefaultMaxTokens", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("ApiKeys", result.FailureMessage, StringComparison.Ordinal);
    }

    private static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
