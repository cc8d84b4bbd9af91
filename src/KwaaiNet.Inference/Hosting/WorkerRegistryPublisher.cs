// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Scaling;
using KwaaiNet.Inference.Scaling;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using AspNetServer = Microsoft.AspNetCore.Hosting.Server.IServer;

namespace KwaaiNet.Inference.Hosting;

/// <summary>
/// Keeps the worker's entry in its pool (<see cref="WorkerRegistry"/>) while it runs: written once the server listens,
/// rewritten every <see cref="WorkerRegistryOptions.RefreshPeriod"/> with the open-session count, removed at shutdown.
/// A Redis outage is logged once and retried; the entry expires meanwhile, and the gateway routes elsewhere.
/// </summary>
internal sealed class WorkerRegistryPublisher(
    WorkerRegistry registry,
    IWorkerSessionCount sessions,
    IOptions<InferenceOptions> options,
    IConfiguration configuration,
    IServiceProvider services,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<WorkerRegistryPublisher> logger) : BackgroundService
{
    private readonly InferenceOptions _options = options.Value;
    private readonly string _workerId = options.Value.Registry.WorkerId
        ?? $"{Sanitize(Environment.MachineName)}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";

    private bool _registered;

    /// <summary>The worker id this process registers as.</summary>
    public string WorkerId => _workerId;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (!_registered)
        {
            return;
        }

        try
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(TimeSpan.FromSeconds(5));
            await registry.RemoveAsync(_workerId, bounded.Token);
            logger.WorkerDeregistered(_workerId, registry.Pool);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or OperationCanceledException)
        {
            logger.WorkerDeregisterFailed(_workerId, registry.Pool, ex.Message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // The bound addresses are known once the server listens.
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (lifetime.ApplicationStarted.Register(static state => ((TaskCompletionSource)state!).TrySetResult(), started))
            {
                await started.Task.WaitAsync(stoppingToken);
            }

            var endpoint = ResolveEndpoint();
            if (endpoint is null)
            {
                logger.WorkerEndpointUnknown(_workerId, registry.Pool);
                return;
            }

            logger.WorkerRegistered(_workerId, registry.Pool, endpoint, _options.Registry.RefreshPeriod);
            using var timer = new PeriodicTimer(_options.Registry.RefreshPeriod, time);
            var failing = false;
            do
            {
                try
                {
                    var entry = new WorkerRegistration(_workerId, endpoint, sessions.OpenSessions, time.GetUtcNow());
                    await registry.PublishAsync(entry, _options.Registry.Ttl, stoppingToken);
                    _registered = true;
                    if (failing)
                    {
                        failing = false;
                        logger.WorkerRegistryRecovered(_workerId, registry.Pool);
                    }
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    if (!failing)
                    {
                        failing = true;
                        logger.WorkerRegistryUnavailable(_workerId, registry.Pool, ex.Message);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: StopAsync removes the entry.
        }
    }

    private Uri? ResolveEndpoint()
    {
        var bound = (services.GetService(typeof(AspNetServer)) as AspNetServer)?.Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        return WorkerEndpoint.Resolve(_options.AdvertisedAddress, configuration["Kestrel:Endpoints:grpc:Url"], bound, WorkerEndpoint.MachineAddress());
    }

    private static string Sanitize(string name)
    {
        var chars = name.Where(static c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-').Take(64).ToArray();
        return chars.Length == 0 ? "worker" : new string(chars);
    }
}
