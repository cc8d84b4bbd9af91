// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Grpc.Core;
using KwaaiNet.Contracts.Hosting;
using KwaaiNet.Contracts.Inference.V1;
using KwaaiNet.Contracts.Node;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Inference.Hosting;

/// <summary>The inference-worker's internal gRPC API: maps and delegates only.</summary>
internal sealed class InferenceGrpcService(ExecutionProviderSelection providers, IOptions<NodeOptions> options) : Contracts.Inference.V1.Inference.InferenceBase
{
    /// <summary>The issue that brings span serving.</summary>
    private const int SpanIssue = 5;

    private readonly NodeOptions _options = options.Value;

    public override Task<InfoResponse> Info(InfoRequest request, ServerCallContext context)
    {
        var choice = providers.Choice;
        var response = new InfoResponse
        {
            OnnxRuntimeVersion = choice.OnnxRuntimeVersion,
            Package = choice.Package,
            UseGpu = _options.UseGpu,
            Model = _options.Model,
            StartBlock = _options.StartBlock ?? -1,
            EndBlock = _options.StartBlock is { } start ? start + _options.Blocks : -1,
        };
        foreach (var name in choice.Available)
        {
            response.ExecutionProviders.Add(new ExecutionProvider { Name = name, Available = true, Selected = name == choice.Selected });
        }

        return Task.FromResult(response);
    }

    public override Task<ForwardResponse> Forward(ForwardRequest request, ServerCallContext context)
    {
        throw GrpcStatus.NotBuiltYet("Forward passes", SpanIssue);
    }

    public override Task Inference(IAsyncStreamReader<InferenceRequest> requestStream, IServerStreamWriter<InferenceResponse> responseStream, ServerCallContext context)
    {
        throw GrpcStatus.NotBuiltYet("Inference sessions", SpanIssue);
    }
}
