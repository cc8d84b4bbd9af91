// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Node;
using KwaaiNet.Hivemind.Hosting;
using KwaaiNet.Inference;
using KwaaiNet.Inference.OpenAi;
using KwaaiNet.Petals.Client;
using KwaaiNet.Petals.Gateway;
using KwaaiNet.Petals.Records;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Hosting;

/// <summary>Registers the distributed client: routing over the DHT's servers, span sessions, the generator.</summary>
public static class PetalsClientHostingExtensions
{
    /// <summary>
    /// Registers <see cref="DistributedGenerator"/> (its model parts loaded when it is first resolved) with
    /// <see cref="ClientOptions"/> (section <c>KwaaiNet:Client</c>, validated at start), the node's gateway and DHT
    /// client, <see cref="ServerSpanSource"/>, <see cref="PeerPings"/>, <see cref="ServerBans"/>,
    /// <see cref="RouteFinder"/>, and an <see cref="IRemoteSpanSessionFactory"/> for each protocol (Petals'
    /// <c>rpc_inference</c> and KwaaiNet's <c>/kwaai/inference/1.0.0</c>); <see cref="ClientOptions.Protocol"/>
    /// (<c>KwaaiNet:Client:Protocol</c>, Petals by default) picks one.
    /// </summary>
    public static IHostApplicationBuilder AddPetalsClient(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddNodeGateway();
        builder.AddDhtClient();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<ClientOptions>().BindConfiguration(ClientOptions.SectionName).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClientOptions>, ClientOptionsValidator>());

        builder.Services.TryAddSingleton(sp => new ServerBans(sp.GetRequiredService<IOptions<ClientOptions>>().Value.BanTimeout, sp.GetRequiredService<TimeProvider>()));
        builder.Services.TryAddSingleton(sp => new PeerPings(
            sp.GetRequiredService<INodeGateway>(),
            sp.GetRequiredService<IOptions<ClientOptions>>().Value.PingTimeout,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<PeerPings>>()));
        builder.Services.TryAddSingleton<ServerSpanSource>();
        builder.Services.TryAddSingleton(sp => new RouteFinder(
            sp.GetRequiredService<ServerSpanSource>().ReadAsync, sp.GetRequiredService<ServerBans>(), sp.GetRequiredService<PeerPings>()));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IRemoteSpanSessionFactory, PetalsSpanSessionFactory>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IRemoteSpanSessionFactory, KwaaiSpanSessionFactory>());

        var configuration = builder.Configuration;
        builder.Services.TryAddSingleton(sp => CreateGenerator(sp, configuration));
        return builder;
    }

    /// <summary>
    /// The client role of a node: the distributed client (<see cref="AddPetalsClient"/>) and the OpenAI-compatible API
    /// (<see cref="OpenAiHostingExtensions.AddOpenAiApi"/>) with <see cref="NetworkTextGenerationBackend"/>, which lists
    /// the network's model and generates it through the span chains. Call it after the DHT module in a process that runs
    /// one (its <see cref="Hivemind.Client.IDhtClient"/> is the local DHT), and map the API with
    /// <see cref="OpenAiHostingExtensions.MapOpenAiApi"/> (the inference-worker's <c>MapInferenceWorker</c> does).
    /// </summary>
    public static IHostApplicationBuilder AddNetworkTextGeneration(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddPetalsClient();
        builder.AddOpenAiApi();
        builder.Services.TryAddSingleton<NetworkTextGenerationBackend>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ITextGenerationBackend, NetworkTextGenerationBackend>(
            static sp => sp.GetRequiredService<NetworkTextGenerationBackend>()));
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<NetworkTextGenerationBackend>());
        return builder;
    }

    private static DistributedGenerator CreateGenerator(IServiceProvider services, IConfiguration configuration)
    {
        var options = services.GetRequiredService<IOptions<ClientOptions>>().Value;
        var path = string.IsNullOrWhiteSpace(options.ModelPath) ? configuration[$"{InferenceOptions.SectionName}:ModelPath"] : options.ModelPath;
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new InvalidOperationException(
                $"The distributed client needs the model's GGUF file for its embeddings, head and tokenizer: set {ClientOptions.SectionName}:ModelPath.");
        }

        var prefix = options.DhtPrefix ?? DhtPrefix.ForKwaaiNet(services.GetRequiredService<IOptions<NodeOptions>>().Value.Model);
        var factory = services.GetServices<IRemoteSpanSessionFactory>().LastOrDefault(f => f.Protocol == options.Protocol)
            ?? throw new InvalidOperationException($"{ClientOptions.SectionName}:Protocol is {options.Protocol}, but no session factory for it is registered.");
        var parts = LocalModelParts.Load(path);
        var logger = services.GetRequiredService<ILogger<DistributedGenerator>>();
        logger.ClientModelLoaded(path, parts.Config.LayerCount, parts.Config.HiddenSize, parts.Config.VocabSize, prefix, options.Protocol);
        return new DistributedGenerator(parts, prefix, services.GetRequiredService<RouteFinder>(), factory, options, services.GetRequiredService<TimeProvider>(), logger);
    }
}
