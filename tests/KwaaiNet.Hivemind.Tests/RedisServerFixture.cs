// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using System.Globalization;
using KwaaiNet.Testing;
using StackExchange.Redis;

namespace KwaaiNet.Hivemind.Tests;

/// <summary>A real redis-server on a free loopback port, started once for the collection (CI installs the Debian package).</summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private Process? _server;
    private string? _folder;

    public int Port { get; private set; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    public ConnectionMultiplexer? Connection { get; private set; }

    public async ValueTask InitializeAsync()
    {
        _folder = Directory.CreateTempSubdirectory("kwaainet-redis-test-").FullName;
        Port = FreeTcpPort.Next();

        try
        {
            _server = Process.Start(new ProcessStartInfo("redis-server",
                ["--bind", "127.0.0.1", "--port", Port.ToString(CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no"])
            {
                WorkingDirectory = _folder,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            });
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("redis-server is not installed; .ci/run installs it (apt-get install redis-server).", ex);
        }

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                Connection = await ConnectionMultiplexer.ConnectAsync(ConnectionString + ",abortConnect=true,connectTimeout=1000");
                await Connection.GetDatabase().PingAsync();
                return;
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Connection is not null)
        {
            await Connection.DisposeAsync();
        }

        if (_server is not null)
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
            _server.Dispose();
        }

        if (_folder is not null)
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
