// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Hosting;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace KwaaiNet.Libp2p.Hosting;

/// <summary>
/// On the public listener, serves only endpoints marked <see cref="PublicEndpointMetadata"/> (the proxied routes
/// and, in the embedded node, the map and OpenAI endpoints themselves). Everything else there, <c>/health</c>,
/// <c>/alive</c> and gRPC included, is a 404: internal endpoints are never reachable through the public port.
/// </summary>
internal sealed class PublicFrontMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var onPublicListener = context.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(typeof(PublicListenerFeature)) ?? false;
        if (onPublicListener && context.GetEndpoint()?.Metadata.GetMetadata<PublicEndpointMetadata>() is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        return next(context);
    }
}
