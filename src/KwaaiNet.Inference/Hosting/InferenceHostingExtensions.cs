// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Grpc.AspNetCore.Server;
using KwaaiNet.Contracts.Hosting;
using KwaaiNet.Inference.OpenAi;
using KwaaiNet.Inference.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Inference.Hosting;

/// <summary>The inference-worker module.</summary>
public static class InferenceHostingExtensions
{
    /// <summary>
    /// Registers the worker: its settings (<c>KwaaiNet:Inference</c>), the execution-provider probe, the model loader
    /// (a background load of the configured, persisted or commanded span) and its <c>ServeSpan</c> consumer, the token
    /// reports on the bus, the gRPC API, the worker's entry in its pool when Redis is configured, and the
    /// OpenAI-compatible API (<c>KwaaiNet:OpenAi</c>) with the worker's whole model as a backend.
    /// </summary>
    public static IHostApplicationBuilder AddInferenceWorker(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddNodeOptions();
        builder.AddMessageBus(static bus => bus.AddConsumer<ServeSpanConsumer>());
        builder.Services.AddOptions<InferenceOptions>().BindConfiguration(InferenceOptions.SectionName).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InferenceOptions>, InferenceOptionsValidator>());
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ExecutionProviderSelection>();
        builder.Services.AddSingleton<TokenMeter>();
        builder.Services.AddSingleton<InferenceModelHost>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<InferenceModelHost>());
        builder.Services.AddSingleton<IServedSpanProvider>(static sp => sp.GetRequiredService<InferenceModelHost>());
        builder.Services.AddHostedService<TokensProcessedPublisher>();
        builder.Services.AddGrpc();
        builder.AddWorkerRegistry();
        builder.AddOpenAiApi();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ITextGenerationBackend, LocalTextGenerationBackend>());

        // Hidden states of a long prefill exceed gRPC's 4 MiB default.
        builder.Services.AddOptions<GrpcServiceOptions<InferenceGrpcService>>()
            .Configure<IOptions<InferenceOptions>>(static (grpc, inference) =>
            {
                var bytes = inference.Value.MaxMessageMegabytes * 1024 * 1024;
                grpc.MaxReceiveMessageSize = bytes;
                grpc.MaxSendMessageSize = bytes;
            });
        return builder;
    }

    /// <summary>Maps the gRPC API and the public <c>/v1/*</c> OpenAI-compatible API.</summary>
    public static WebApplication MapInferenceWorker(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGrpcService<InferenceGrpcService>();

        app.MapOpenAiApi();
        return app;
    }
}
