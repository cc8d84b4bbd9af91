// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Inference.OpenAi;

/// <summary>The OpenAI-compatible API over the registered <see cref="ITextGenerationBackend"/>s.</summary>
public static class OpenAiHostingExtensions
{
    /// <summary>
    /// Registers the API and its settings (<c>KwaaiNet:OpenAi</c>). Backends are registered apart, as
    /// <see cref="ITextGenerationBackend"/> singletons; the API serves the models of all of them.
    /// </summary>
    public static IHostApplicationBuilder AddOpenAiApi(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<OpenAiOptions>().BindConfiguration(OpenAiOptions.SectionName).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OpenAiOptions>, OpenAiOptionsValidator>());
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<OpenAiApi>();
        return builder;
    }

    /// <summary>
    /// Maps <c>POST /v1/chat/completions</c>, <c>POST /v1/completions</c>, <c>GET /v1/models</c> and
    /// <c>GET /v1/models/{id}</c>, and answers any other <c>/v1/*</c> request with OpenAI's 404; all public, so the
    /// gateway's public front serves them.
    /// </summary>
    public static IEndpointRouteBuilder MapOpenAiApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var v1 = endpoints.MapGroup("/v1").WithMetadata(PublicEndpointMetadata.Instance);
        v1.MapPost("/chat/completions", static context => Api(context).ChatCompletionsAsync(context));
        v1.MapPost("/completions", static context => Api(context).CompletionsAsync(context));
        v1.MapGet("/models", static context => Api(context).ModelsAsync(context));
        v1.MapGet("/models/{**id}", static context => Api(context).ModelAsync(context));
        v1.Map("/{**rest}", static context => Api(context).UnknownAsync(context));
        return endpoints;
    }

    private static OpenAiApi Api(HttpContext context) => context.RequestServices.GetRequiredService<OpenAiApi>();
}
