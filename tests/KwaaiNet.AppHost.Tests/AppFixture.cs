// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Aspire.Hosting;
using Grpc.Net.Client;
using KwaaiNet.Inference.Gguf;
using KwaaiNet.Testing.Inference;

namespace KwaaiNet.AppHost.Tests;

/// <summary>
/// The AppHost started once per collection, in one infrastructure mode, with real redis-server and rabbitmq-server
/// (process mode) and no traffic leaving the machine. Every wait is bounded.
/// </summary>
public abstract class AppFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly List<GrpcChannel> _channels = [];

    public DistributedApplication App { get; private set; } = null!;

    public Uri? DashboardUrl { get; private set; }

    /// <summary>The model the node serves: a generated tiny Llama in its models folder.</summary>
    public const string TinyModel = "tiny";

    public string Home { get; } = Directory.CreateTempSubdirectory("kwaainet-apphost-test-").FullName;

    protected abstract string Mode { get; }

    protected abstract IReadOnlyList<string> Resources { get; }

    protected virtual bool WithDashboard => false;

    public GrpcChannel Channel(string resource)
    {
        var channel = GrpcChannel.ForAddress(App.GetEndpoint(resource, "grpc"));
        lock (_channels)
        {
            _channels.Add(channel);
        }

        return channel;
    }

    public HttpClient Http(string resource, string endpoint) =>
        new() { BaseAddress = App.GetEndpoint(resource, endpoint), Timeout = TimeSpan.FromSeconds(30) };

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;

        // The workers serve every block of a generated tiny model from the node's models folder.
        Directory.CreateDirectory(Path.Combine(Home, "models"));
        TinyLlamaGguf.Write(Path.Combine(Home, "models", TinyModel + ".gguf"), GgmlType.F32, seed: 3);
        List<string> args =
        [
            $"--KwaaiNet:Infra={Mode}",
            "--KwaaiNet:Node:initial_peers=none",
            "--KwaaiNet:Node:port=0",
            $"--KwaaiNet:Node:home={Home}",
            $"--KwaaiNet:Node:model={TinyModel}",
            "--KwaaiNet:Node:start_block=0",
            "--KwaaiNet:Inference:ThroughputSteps=3",
        ];
        if (WithDashboard)
        {
            args.Add("--ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS=true");
        }

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.KwaaiNet_AppHost>(
            [.. args],
            (options, _) =>
            {
                options.DisableDashboard = !WithDashboard;
                options.AllowUnsecuredTransport = true;
            },
            ct);
        App = await builder.BuildAsync(ct).WaitAsync(StartTimeout, ct);
        await App.StartAsync(ct).WaitAsync(StartTimeout, ct);
        foreach (var resource in Resources)
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, ct).WaitAsync(StartTimeout, ct);
        }

        if (WithDashboard)
        {
            DashboardUrl = App.GetEndpoint("aspire-dashboard", "http");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        if (App is not null)
        {
            await App.StopAsync().WaitAsync(StartTimeout);
            await App.DisposeAsync();
        }

        Directory.Delete(Home, recursive: true);
        GC.SuppressFinalize(this);
    }
}
