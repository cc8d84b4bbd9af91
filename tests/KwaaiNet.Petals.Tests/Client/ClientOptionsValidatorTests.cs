// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Petals.Client;

namespace KwaaiNet.Petals.Tests.Client;

public sealed class ClientOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_Succeed() => Assert.True(new ClientOptionsValidator().Validate(null, new ClientOptions()).Succeeded);

    [Fact]
    public void Validate_BadValues_FailNamingEachKey()
    {
        var options = new ClientOptions
        {
            ConnectTimeout = TimeSpan.Zero,
            RequestTimeout = TimeSpan.FromHours(2),
            MinBackoff = TimeSpan.FromSeconds(10),
            MaxBackoff = TimeSpan.FromSeconds(5),
            BanTimeout = TimeSpan.FromSeconds(-1),
            MaxRetries = -1,
            MaxResponseBytes = 10,
            Protocol = (SpanProtocol)7,
            DhtPrefix = "a.b",
        };

        var result = new ClientOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        foreach (var key in new[] { "ConnectTimeout", "RequestTimeout", "MaxBackoff", "BanTimeout", "MaxRetries", "MaxResponseBytes", "Protocol", "DhtPrefix" })
        {
            Assert.Contains(result.Failures!, f => f.StartsWith("KwaaiNet:Client:" + key, StringComparison.Ordinal));
        }
    }
}
