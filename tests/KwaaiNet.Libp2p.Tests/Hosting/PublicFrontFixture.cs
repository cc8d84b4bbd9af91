// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Net;
using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.ServiceDefaults;
using KwaaiNet.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KwaaiNet.Libp2p.Tests.Hosting;

/// <summary>
/// The gateway as its service hosts it, on real loopback sockets: an internal <c>http</c> endpoint and the
/// <c>public</c> one, proxying to a stand-in map-announcer and to an inference-worker address where nothing listens.
/// </summary>
public sealed class PublicFrontFixture : IAsyncLifetime
{
    /// <summary>What the stand-in map-announcer answers on <c>/map</c>.</summary>
    public const string MapBody = "map page";

    /// <summary>What the stand-in map-announcer answers on <c>/api/v1/state</c>.</summary>
    public const string StateBody = "{\"num_peers\":0}";

    /// <summary>What the stand-in map-announcer answers on its own <c>/health</c>; never seen through the front.</summary>
    public const string BackendHealthBody = "backend health";

    private readonly string _home = Directory.CreateTempSubdirectory("kwaainet-front-").FullName;
    private WebApplication? _backend;
    private WebApplication? _gateway;

    /// <summary>A client of the public endpoint.</summary>
    public HttpClient Public { get; private set; } = null!;

    /// <summary>A client of the internal <c>http</c> endpoint.</summary>
    public HttpClient Internal { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _backend = await StartBackendAsync(ct);
        var backendAddress = Assert.Single(Addresses(_backend));

        var publicPort = FreeTcpPort.Next();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:http:Url"] = "http://127.0.0.1:0",
            ["Kestrel:Endpoints:http:Protocols"] = "Http1",
            [$"Kestrel:Endpoints:{GatewayHostingExtensions.PublicEndpointName}:Url"] = $"http://127.0.0.1:{publicPort}",
            [$"Kestrel:Endpoints:{GatewayHostingExtensions.PublicEndpointName}:Protocols"] = "Http1",
            ["KwaaiNet:Gateway:MapAnnouncerAddress"] = backendAddress,
            ["KwaaiNet:Gateway:InferenceWorkerAddress"] = $"http://127.0.0.1:{FreeTcpPort.Next()}",
            ["KwaaiNet:Node:initial_peers"] = "none",
            ["KwaaiNet:Node:home"] = _home,
        });
        builder.AddServiceDefaults();
        builder.AddP2PGateway();
        _gateway = builder.Build();
        _gateway.MapDefaultEndpoints();
        _gateway.MapP2PGateway();
        await _gateway.StartAsync(ct);

        var addresses = Addresses(_gateway);
        Assert.Equal(2, addresses.Count);
        var publicAddress = Assert.Single(addresses, a => new Uri(a).Port == publicPort);
        var internalAddress = Assert.Single(addresses, a => new Uri(a).Port != publicPort);
        Public = Client(publicAddress);
        Internal = Client(internalAddress);
    }

    public async ValueTask DisposeAsync()
    {
        Public?.Dispose();
        Internal?.Dispose();
        if (_gateway is not null)
        {
            await _gateway.StopAsync();
            await _gateway.DisposeAsync();
        }

        if (_backend is not null)
        {
            await _backend.StopAsync();
            await _backend.DisposeAsync();
        }

        Directory.Delete(_home, recursive: true);
    }

    private static async Task<WebApplication> StartBackendAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.ConfigureKestrel(static kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapGet("/map", static () => Results.Text(MapBody, "text/html"));
        app.MapGet("/api/v1/state", static () => Results.Text(StateBody, "application/json"));
        app.MapGet("/health", static () => Results.Text(BackendHealthBody));
        await app.StartAsync(cancellationToken);
        return app;
    }

    private static List<string> Addresses(WebApplication app) =>
        [.. app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses];

    private static HttpClient Client(string address) =>
        new(new SocketsHttpHandler { UseProxy = false })
        {
            BaseAddress = new Uri(address),
            Timeout = TimeSpan.FromSeconds(30),
        };
}
