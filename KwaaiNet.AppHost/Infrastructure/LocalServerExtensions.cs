// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using Microsoft.Extensions.DependencyInjection;

namespace KwaaiNet.AppHost.Infrastructure;

/// <summary>
/// Redis and RabbitMQ as local processes under the AppHost, for machines without a container runtime
/// (shared/research/aspire-feasibility.md §3). Each yields a connection-string resource with the same name as the
/// container mode's, so services use the same <c>WithReference</c> either way. Every port is on 127.0.0.1, and is
/// the server's real port (not proxied), so health probes talk to the server itself.
/// </summary>
internal static class LocalServerExtensions
{
    public static (IResourceBuilder<IResourceWithConnectionString> ConnectionString, IResourceBuilder<ExecutableResource> Server) AddRedisProcess(
        this IDistributedApplicationBuilder builder, string name, string redisServer)
    {
        var port = FreePort.Next();
        var folder = ScratchFolder.Create(name);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => ScratchFolder.Remove(folder);

        var server = builder.AddExecutable($"{name}-server", redisServer, folder,
                "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
                "--save", "", "--appendonly", "no", "--protected-mode", "yes")
            .WithEndpoint(port: port, targetPort: port, scheme: "tcp", name: "tcp", isProxied: false);
        var endpoint = server.GetEndpoint("tcp");
        var check = $"{name}-server-ping";
        builder.Services.AddHealthChecks().AddAsyncCheck(check, ct => ServerProbes.RedisAsync(endpoint.IsAllocated ? endpoint.Port : null, ct));
        server.WithHealthCheck(check);

        var connectionString = builder.AddConnectionString(name, ReferenceExpression.Create($"{endpoint.Property(EndpointProperty.HostAndPort)}"));
        return (connectionString, server);
    }

    public static (IResourceBuilder<IResourceWithConnectionString> ConnectionString, IResourceBuilder<ExecutableResource> Server) AddRabbitMqProcess(
        this IDistributedApplicationBuilder builder, string name, string rabbitMqServer, string epmd)
    {
        var folder = ScratchFolder.Create(name);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => ScratchFolder.Remove(folder);
        var epmdPort = FreePort.Next();
        var distPort = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        var amqpPort = FreePort.Next();
        var nodeName = name + "-" + Guid.NewGuid().ToString("N") + "@localhost";

        // epmd runs in the foreground under the AppHost: otherwise RabbitMQ starts "epmd -daemon", which outlives it.
        // RabbitMQ waits until epmd answers, not only until its process runs: an Erlang node that finds no epmd on
        // ERL_EPMD_PORT starts its own daemon or gives up, and then the broker never becomes healthy.
        var epmdServer = builder.AddExecutable($"{name}-epmd", epmd, folder, "-address", "127.0.0.1", "-port", epmdPort.ToString(CultureInfo.InvariantCulture));
        var epmdCheck = $"{name}-epmd-names";
        builder.Services.AddHealthChecks().AddAsyncCheck(epmdCheck, ct => ServerProbes.EpmdAsync(epmdPort, ct));
        epmdServer.WithHealthCheck(epmdCheck);

        var server = builder.AddExecutable($"{name}-server", rabbitMqServer, folder)
            .WithEnvironment("ERL_EPMD_PORT", epmdPort.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("ERL_EPMD_ADDRESS", "127.0.0.1")
            .WithEnvironment("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .WithEnvironment("RABBITMQ_NODE_PORT", amqpPort.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("RABBITMQ_DIST_PORT", distPort)
            .WithEnvironment("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}")
            .WithEnvironment("RABBITMQ_NODENAME", nodeName)
            .WithEnvironment("HOME", folder)
            .WithEnvironment("RABBITMQ_MNESIA_BASE", Path.Combine(folder, "mnesia"))
            .WithEnvironment("RABBITMQ_LOG_BASE", Path.Combine(folder, "log"))
            .WithEnvironment("RABBITMQ_LOGS", "-")
            .WithEnvironment("RABBITMQ_ENABLED_PLUGINS_FILE", Path.Combine(folder, "enabled_plugins"))
            .WithEndpoint(port: amqpPort, targetPort: amqpPort, scheme: "tcp", name: "amqp", isProxied: false)
            .WaitFor(epmdServer, WaitBehavior.StopOnResourceUnavailable);
        var endpoint = server.GetEndpoint("amqp");
        var check = $"{name}-server-amqp";
        builder.Services.AddHealthChecks().AddAsyncCheck(check, ct => ServerProbes.RabbitMqAsync(endpoint.IsAllocated ? endpoint.Port : null, ct));
        server.WithHealthCheck(check);

        // guest/guest is accepted only over loopback, which is all this broker listens on.
        var connectionString = builder.AddConnectionString(name, ReferenceExpression.Create($"amqp://guest:guest@{endpoint.Property(EndpointProperty.HostAndPort)}"));
        return (connectionString, server);
    }

    /// <summary>
    /// The real server script: Debian's PATH entry is a wrapper that switches to the rabbitmq user and its home, which
    /// only works as root and ignores our folders; the script it wraps sits beside it.
    /// </summary>
    public static string ResolveRabbitMqServer(string onPath)
    {
        var target = File.ResolveLinkTarget(onPath, returnFinalTarget: true)?.FullName ?? onPath;
        if (Path.GetFileName(target) == "rabbitmq-script-wrapper")
        {
            var beside = Path.Combine(Path.GetDirectoryName(target)!, "rabbitmq-server");
            if (File.Exists(beside))
            {
                return beside;
            }
        }

        return onPath;
    }
}
