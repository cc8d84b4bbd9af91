// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace KwaaiNet.ServiceDefaults;

/// <summary>
/// What every KwaaiNet service shares: OpenTelemetry to the Aspire dashboard, health checks, gRPC health,
/// service discovery and resilient outgoing HTTP. Layered as in eShop: <see cref="AddServiceDefaults"/> =
/// <see cref="AddBasicServiceDefaults"/> + outgoing-call defaults.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Readiness: every check. Mapped in all environments, because the Kubernetes probes use it.</summary>
    public const string HealthPath = "/health";

    /// <summary>Liveness: only the checks tagged <see cref="LiveTag"/>.</summary>
    public const string AlivePath = "/alive";

    /// <summary>The tag of checks that say the process is alive (not whether its dependencies are).</summary>
    public const string LiveTag = "live";

    /// <summary>Everything in <see cref="AddBasicServiceDefaults"/>, plus service discovery and resilience for outgoing HTTP.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.AddBasicServiceDefaults();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(static http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    /// <summary>Telemetry and health checks, without touching outgoing HTTP (so a host can trim Polly).</summary>
    public static TBuilder AddBasicServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.Services.AddHealthChecks()
            .AddCheck("self", static () => HealthCheckResult.Healthy(), [LiveTag]);
        builder.Services.AddGrpcHealthChecks();
        return builder;
    }

    /// <summary>Traces, metrics and logs over OTLP when the dashboard's <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.</summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(static logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(static metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(KwaaiNetTelemetry.MeterNames, KwaaiNetTelemetry.MassTransitName))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName, KwaaiNetTelemetry.SourceNames, KwaaiNetTelemetry.MassTransitName)
                .AddAspNetCoreInstrumentation(static o =>
                    // Probes every few seconds would drown the traces that matter.
                    o.Filter = static ctx => !ctx.Request.Path.StartsWithSegments(HealthPath) && !ctx.Request.Path.StartsWithSegments(AlivePath))
                .AddGrpcClientInstrumentation()
                .AddHttpClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>Maps <c>/health</c>, <c>/alive</c> and the gRPC health service, in every environment.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks(HealthPath, new HealthCheckOptions { ResponseWriter = HealthResponseWriter.WriteAsync });
        app.MapHealthChecks(AlivePath, new HealthCheckOptions
        {
            Predicate = static r => r.Tags.Contains(LiveTag),
            ResponseWriter = HealthResponseWriter.WriteAsync,
        });
        app.MapGrpcHealthChecksService();
        return app;
    }
}
