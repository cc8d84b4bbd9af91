// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Testing;
using StackExchange.Redis;

namespace KwaaiNet.Hivemind.Tests;

/// <summary>A real redis-server on a free loopback port (<see cref="KwaaiNet.Testing.RedisServer"/>), started once for the collection.</summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private RedisServer? _server;

    public int Port => _server?.Port ?? 0;

    public string ConnectionString => $"127.0.0.1:{Port}";

    public ConnectionMultiplexer? Connection => _server?.Connection;

    public async ValueTask InitializeAsync() => _server = await RedisServer.StartAsync(CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
