// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Net;
using Google.Protobuf;
using Grpc.Core;
using KwaaiNet.Contracts.Dht.V1;
using KwaaiNet.Hivemind.Hosting;
using KwaaiNet.Testing;

namespace KwaaiNet.Hivemind.Tests.Hosting;

/// <summary>A dependency that is down gives a clear, bounded error: never a hang.</summary>
public sealed class BrokenDependencyTests
{
    [Fact]
    public async Task Store_RedisDown_IsUnavailableWithReasonAndHealthSaysWhy()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await ModuleHost.StartAsync(
            static b => b.AddDht(),
            static a => a.MapDht(),
            new Dictionary<string, string?> { ["ConnectionStrings:redis"] = $"127.0.0.1:{FreeTcpPort.Next()},connectTimeout=500,syncTimeout=1000,asyncTimeout=1000" },
            ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        var dht = new Dht.DhtClient(host.Channel);

        var error = await Assert.ThrowsAsync<RpcException>(() => dht.StoreAsync(
            new StoreRequest
            {
                Items =
                {
                    new StoreItem
                    {
                        Key = "k",
                        Value = ByteString.CopyFromUtf8("v"),
                        ExpirationTime = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeMilliseconds() / 1000.0,
                    },
                },
            },
            cancellationToken: ct).ResponseAsync.WaitAsync(TimeSpan.FromSeconds(30), ct));
        using var health = await host.Http.GetAsync(new Uri("/health", UriKind.Relative), ct).WaitAsync(TimeSpan.FromSeconds(30), ct);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("Redis", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Contains("Redis", await health.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }
}
