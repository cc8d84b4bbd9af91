// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Grpc.Net.Client;
using KwaaiNet.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;

namespace KwaaiNet.Testing;

/// <summary>
/// A module hosted the way its service hosts it (service defaults, the module's AddXxx/MapXxx), on the in-process
/// test server, with a gRPC channel to it. Each test gets its own host.
/// </summary>
public sealed class ModuleHost : IAsyncDisposable
{
    private readonly string _generatedHome;

    private ModuleHost(WebApplication app, GrpcChannel channel, HttpClient http, string generatedHome)
    {
        App = app;
        Channel = channel;
        Http = http;
        _generatedHome = generatedHome;
    }

    public WebApplication App { get; }

    public GrpcChannel Channel { get; }

    public HttpClient Http { get; }

    /// <summary>
    /// Builds and starts the host. A test that sets <c>KwaaiNet:Node:home</c> owns that folder; otherwise the host
    /// uses a fresh temp folder and deletes it on dispose. When start fails, the host is disposed and the error rethrown.
    /// </summary>
    public static async Task<ModuleHost> StartAsync(
        Action<WebApplicationBuilder> add,
        Action<WebApplication> map,
        IReadOnlyDictionary<string, string?>? settings,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(add);
        ArgumentNullException.ThrowIfNull(map);
        var generatedHome = Path.Combine(Path.GetTempPath(), "kwaainet-test-" + Guid.NewGuid().ToString("N"));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // Nothing leaves the machine in tests.
            ["KwaaiNet:Node:initial_peers"] = "none",
            ["KwaaiNet:Node:home"] = generatedHome,

            // The gateway's libp2p host listens on a free loopback port, never on the node's public port.
            ["KwaaiNet:Gateway:ListenAddresses:0"] = "/ip4/127.0.0.1/tcp/0",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.AddServiceDefaults();
        add(builder);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        map(app);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            DeleteFolder(generatedHome);
            throw;
        }

        var server = app.GetTestServer();
        var channel = GrpcChannel.ForAddress(server.BaseAddress, new GrpcChannelOptions { HttpHandler = server.CreateHandler() });
        return new ModuleHost(app, channel, server.CreateClient(), generatedHome);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Channel.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        DeleteFolder(_generatedHome);
    }

    private static void DeleteFolder(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
