// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace KwaaiNet.Testing;

/// <summary>A real redis-server on a free loopback port, with a connection to it (CI installs the Debian package).</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly Process _server;
    private readonly string _folder;

    private RedisServer(Process server, string folder, int port, ConnectionMultiplexer connection)
    {
        _server = server;
        _folder = folder;
        Port = port;
        Connection = connection;
    }

    public int Port { get; }

    /// <summary>The StackExchange.Redis connection string (what <c>ConnectionStrings:redis</c> holds).</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    public ConnectionMultiplexer Connection { get; }

    /// <summary>Starts redis-server without persistence and waits until it answers PING (at most 20 s).</summary>
    public static async Task<RedisServer> StartAsync(CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("kwaainet-redis-test-").FullName;
        var port = FreeTcpPort.Next();
        Process server;
        try
        {
            server = Process.Start(new ProcessStartInfo("redis-server",
                ["--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no"])
            {
                WorkingDirectory = folder,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            })!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Directory.Delete(folder, recursive: true);
            throw new InvalidOperationException("redis-server is not installed; .ci/run installs it (apt-get install redis-server).", ex);
        }

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},abortConnect=true,connectTimeout=1000");
                await connection.GetDatabase().PingAsync();
                return new RedisServer(server, folder, port, connection);
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        _server.Kill(entireProcessTree: true);
        await _server.WaitForExitAsync();
        _server.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
