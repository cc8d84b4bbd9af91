// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KwaaiNet.Inference.Hosting;

/// <summary>The inference-worker module.</summary>
public static class InferenceHostingExtensions
{
    /// <summary>The issue that brings the OpenAI-compatible API.</summary>
    private const int OpenAiIssue = 7;

    /// <summary>Registers the execution-provider probe and the gRPC API.</summary>
    public static IHostApplicationBuilder AddInferenceWorker(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddNodeOptions();
        builder.Services.AddSingleton<ExecutionProviderSelection>();
        builder.Services.AddGrpc();
        return builder;
    }

    /// <summary>Maps the gRPC API and the public <c>/v1/*</c> OpenAI-compatible API.</summary>
    public static WebApplication MapInferenceWorker(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGrpcService<InferenceGrpcService>();

        // The public OpenAI-compatible API is routed here already, so that clients get a clear answer now.
        app.Map("/v1/{**rest}", static () => Results.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Not available yet",
                detail: $"The OpenAI-compatible API is not served by this version of the node yet (issue #{OpenAiIssue})."))
            .WithMetadata(PublicEndpointMetadata.Instance);
        return app;
    }
}
