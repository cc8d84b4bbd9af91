// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Hosting;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace KwaaiNet.Hivemind.Tests.Hosting;

/// <summary>The dht service's bootstrap from initial_peers when none answers.</summary>
public sealed class DhtBootstrapTests
{
    private const int BootstrapUnanswered = 1018;
    private const int BootstrapStillUnanswered = 1021;

    [Fact]
    public async Task UnansweredBootstrap_IsOneWarning_ThenQuietRetriesWithBackoff()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var logs = new LogCapture();
        var bootstrap = $"/ip4/127.0.0.1/tcp/{FreeTcpPort.Next()}/p2p/{NodeIdentity.GenerateEd25519().PeerId}";
        await using var host = await ModuleHost.StartAsync(
            b =>
            {
                b.Services.AddSingleton<TimeProvider>(time);
                b.Logging.AddProvider(logs);
                b.AddDht();
            },
            static a => a.MapDht(),
            new Dictionary<string, string?>
            {
                ["KwaaiNet:Node:initial_peers:0"] = bootstrap,

                // A standalone service whose gateway is a closed port: every call fails fast.
                ["KwaaiNet:Dht:Gateway"] = $"http://127.0.0.1:{FreeTcpPort.Next()}",
                ["KwaaiNet:Dht:RpcTimeout"] = "00:00:01",
                ["Logging:LogLevel:KwaaiNet.Hivemind.Hosting.DhtRuntime"] = "Debug",
            },
            ct).WaitAsync(TimeSpan.FromSeconds(30), ct);

        // Retries wait on the host's clock (5 s, then 10 s, ...): advance it until two quiet retries were logged.
        await Poll.UntilAsync(
            token =>
            {
                time.Advance(TimeSpan.FromSeconds(5));
                return Task.FromResult(logs.Count(BootstrapStillUnanswered));
            },
            static retries => retries >= 2,
            TimeSpan.FromSeconds(60),
            TimeSpan.FromMilliseconds(200),
            ct);

        var warning = Assert.Single(logs.Entries, e => e.EventId == BootstrapUnanswered);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("the node keeps serving", warning.Message, StringComparison.Ordinal);
        Assert.All(logs.Entries.Where(e => e.EventId == BootstrapStillUnanswered), e => Assert.Equal(LogLevel.Debug, e.Level));
    }
}
