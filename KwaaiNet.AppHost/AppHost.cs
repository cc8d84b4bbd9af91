// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using KwaaiNet.AppHost;
using KwaaiNet.AppHost.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

var builder = DistributedApplication.CreateBuilder(args);

// Parameters. The replica count shapes the app model, so it is read while the model is built.
var replicasText = builder.Configuration["Parameters:inference-worker-replicas"] ?? "1";
if (!int.TryParse(replicasText, NumberStyles.None, CultureInfo.InvariantCulture, out var workerReplicas) || workerReplicas is < 1 or > 64)
{
    throw new InvalidOperationException($"Parameters:inference-worker-replicas must be a whole number from 1 to 64 (got '{replicasText}').");
}

// Infrastructure: containers, local processes or the embedded node, logged with the reason once the app starts.
var probe = new MachineInfraProbe();
var infra = await InfraSelection.ChooseAsync(InfraSelection.Parse(builder.Configuration[InfraSelection.ConfigurationKey]), probe, CancellationToken.None);
builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
{
    e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("KwaaiNet.AppHost").InfraChosen(infra.Mode, infra.Reason);
    return Task.CompletedTask;
});

if (infra.Mode == InfraMode.Embedded)
{
    // One process serves everything, with the in-memory bus and in-memory DHT records.
    builder.AddProject<Projects.KwaaiNet_Node>("node")
        .WithNodeConfiguration(builder.Configuration)
        .WithHttpHealthCheck("/health", endpointName: "http")
        .WithExternalHttpEndpoints();
    await builder.Build().RunAsync();
    return;
}

IResourceBuilder<IResourceWithConnectionString> redis, messaging;
IResourceBuilder<IResource> redisServer, messagingServer;
if (infra.Mode == InfraMode.Container)
{
    var redisContainer = builder.AddRedis("redis");
    var rabbitContainer = builder.AddRabbitMQ("messaging");
    (redis, redisServer, messaging, messagingServer) = (redisContainer, redisContainer, rabbitContainer, rabbitContainer);
}
else
{
    var (redisConnection, redisProcess) = builder.AddRedisProcess("redis", probe.FindOnPath(InfraSelection.RedisServer)!);
    var (rabbitConnection, rabbitProcess) = builder.AddRabbitMqProcess(
        "messaging",
        LocalServerExtensions.ResolveRabbitMqServer(probe.FindOnPath(InfraSelection.RabbitMqServer)!),
        probe.FindOnPath(InfraSelection.Epmd)!);
    (redis, redisServer, messaging, messagingServer) = (redisConnection, redisProcess, rabbitConnection, rabbitProcess);
}

// Services in dependency order. A service stops waiting, and fails to start, when the server it waits for fails to
// start, instead of waiting for it forever. A server that exits once running shows as Finished with its exit code, but
// Aspire keeps its dependents Waiting for it to turn healthy.
var dht = builder.AddProject<Projects.KwaaiNet_Dht>("dht")
    .WithNodeConfiguration(builder.Configuration)
    .WithHttpHealthCheck("/health", endpointName: "http")
    .WithReference(redis).WaitFor(redisServer, WaitBehavior.StopOnResourceUnavailable);

// Workers publish their throughput and token counts on the bus, so they wait for it like the other publishers. Each
// replica registers its own gRPC endpoint in Redis (pool "inference-worker"), where the gateway finds it.
var inferenceWorker = builder.AddProject<Projects.KwaaiNet_InferenceWorker>("inference-worker")
    .WithNodeConfiguration(builder.Configuration)
    .WithConfigurationSection(builder.Configuration, "KwaaiNet:Inference")
    .WithHttpHealthCheck("/health", endpointName: "http")
    .WithReference(messaging).WaitFor(messagingServer, WaitBehavior.StopOnResourceUnavailable)
    .WithReference(redis).WaitFor(redisServer, WaitBehavior.StopOnResourceUnavailable)
    .WithReplicas(workerReplicas);

var carbonTracker = builder.AddProject<Projects.KwaaiNet_CarbonTracker>("carbon-tracker")
    .WithNodeConfiguration(builder.Configuration)
    .WithHttpHealthCheck("/health", endpointName: "http")
    .WithReference(messaging).WaitFor(messagingServer, WaitBehavior.StopOnResourceUnavailable);

var mapAnnouncer = builder.AddProject<Projects.KwaaiNet_MapAnnouncer>("map-announcer")
    .WithNodeConfiguration(builder.Configuration)
    .WithHttpHealthCheck("/health", endpointName: "http")
    .WithReference(messaging).WaitFor(messagingServer, WaitBehavior.StopOnResourceUnavailable)
    .WithReference(dht).WaitFor(dht);

// The gateway starts last: inbound DHT calls route to dht, and its public front proxies to map-announcer and the
// workers. It does not wait for the workers: until one is healthy, /v1/* answers 503 rather than holding the node back.
var nodePort = builder.Configuration["KwaaiNet:Node:port"];
const string workerPool = "pool://inference-worker";
var gateway = builder.AddProject<Projects.KwaaiNet_P2PGateway>("p2p-gateway")
    .WithNodeConfiguration(builder.Configuration)
    .WithHttpHealthCheck("/health", endpointName: "http")
    .WithExternalHttpEndpoints()
    .WithReference(dht).WaitFor(dht)
    .WithReference(mapAnnouncer).WaitFor(mapAnnouncer)
    .WithReference(inferenceWorker)
    // Inbound hivemind DHT calls (DHTProtocol.rpc_ping/rpc_store/rpc_find) go to the dht service.
    .WithEnvironment("KwaaiNet__Gateway__Inbound__0__Protocol", DhtProtocolPrefix(builder.Configuration["KwaaiNet:Dht:Namespace"]))
    .WithEnvironment("KwaaiNet__Gateway__Inbound__0__Address", "http://_grpc.dht")
    .WithEnvironment("KwaaiNet__Gateway__Inbound__0__Kind", "Unary")
    // Inference protocols go straight to the worker replicas registered in Redis, each session to the replica that
    // holds its KV cache: Petals' TransformerConnectionHandler.* (sessions, forward, info, push) and KwaaiNet's
    // unary sessions.
    .WithReference(redis).WaitFor(redisServer, WaitBehavior.StopOnResourceUnavailable)
    .WithPetalsServerRoutes(workerPool)
    .WithInboundRoute(1, "/kwaai/inference/1.0.0", workerPool, "Unary");

// The dht service calls other nodes through the gateway (it starts first, and waits for the gateway on its own).
dht.WithReference(gateway);

// The map-announcer reads the node's identity and connections and probes its bandwidth through the gateway (which
// waits for it, so it only references the gateway and copes while it is not up).
mapAnnouncer.WithReference(gateway);

// A worker's client role (the OpenAI-compatible API over the network's span chains) reads servers from the dht and
// dials them through the gateway; both start without it, so it only references them and copes while they are not up.
inferenceWorker.WithReference(dht).WithReference(gateway);

// The libp2p port is the node's public identity on the network: announced to peers as is, so never proxied.
if (nodePort != "0")
{
    var port = int.TryParse(nodePort, NumberStyles.None, CultureInfo.InvariantCulture, out var configured) ? configured : 8080;
    gateway.WithEndpoint(port: port, targetPort: port, scheme: "tcp", name: "libp2p", isProxied: false);
}

await builder.Build().RunAsync();

static string DhtProtocolPrefix(string? dhtNamespace) =>
    string.IsNullOrEmpty(dhtNamespace) ? "DHTProtocol.*" : dhtNamespace + "::DHTProtocol.*";
