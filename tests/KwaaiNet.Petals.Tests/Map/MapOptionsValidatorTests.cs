// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Petals.Map;

namespace KwaaiNet.Petals.Tests.Map;

public sealed class MapOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_SucceedWithUpstreamPeriod()
    {
        var options = new MapOptions();

        var result = new MapOptionsValidator().Validate(null, options);

        Assert.True(result.Succeeded);
        Assert.Equal(TimeSpan.FromSeconds(60), options.CrawlPeriod);
        Assert.Equal(8, options.MaxConcurrentGets);
    }

    [Theory]
    [InlineData("00:00:00", 8, "The field MapOptions.CrawlPeriod must be between 00:00:01 and 1.00:00:00.")]
    [InlineData("2.00:00:00", 8, "The field MapOptions.CrawlPeriod must be between 00:00:01 and 1.00:00:00.")]
    [InlineData("00:01:00", 0, "The field MapOptions.MaxConcurrentGets must be between 1 and 64.")]
    [InlineData("00:01:00", 65, "The field MapOptions.MaxConcurrentGets must be between 1 and 64.")]
    public void Validate_OutOfRange_FailsWithClearMessage(string period, int gets, string message)
    {
        var options = new MapOptions { CrawlPeriod = TimeSpan.Parse(period, System.Globalization.CultureInfo.InvariantCulture), MaxConcurrentGets = gets };

        var result = new MapOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(message, result.FailureMessage, StringComparison.Ordinal);
    }
}
