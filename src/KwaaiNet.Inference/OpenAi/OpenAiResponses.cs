// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using KwaaiNet.Inference.OpenAi.Wire;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace KwaaiNet.Inference.OpenAi;

/// <summary>Writes the API's answers: JSON bodies, server-sent events and OpenAI-shaped errors.</summary>
internal static class OpenAiResponses
{
    public static Task WriteJsonAsync<T>(HttpResponse response, int status, T value, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        return response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(value, type), cancellationToken).AsTask();
    }

    public static void StartEvents(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    /// <summary>Writes one server-sent event, <c>data: {json}</c>, and flushes it.</summary>
    public static async Task WriteEventAsync<T>(HttpResponse response, T value, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        await response.Body.WriteAsync("data: "u8.ToArray(), cancellationToken);
        await response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(value, type), cancellationToken);
        await response.Body.WriteAsync("\n\n"u8.ToArray(), cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    public static async Task EndEventsAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        await response.Body.WriteAsync("data: [DONE]\n\n"u8.ToArray(), cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// Answers with the error: a JSON body with its status, or, once a stream of events has started, a last event
    /// holding the error.
    /// </summary>
    public static async Task WriteErrorAsync(HttpContext context, OpenAiError error, CancellationToken cancellationToken)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            await WriteEventAsync(response, error.ToWire(), OpenAiJsonContext.Default.ErrorEnvelope, cancellationToken);
            return;
        }

        if (error.RetryAfter is { } after)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        await WriteJsonAsync(response, error.Status, error.ToWire(), OpenAiJsonContext.Default.ErrorEnvelope, cancellationToken);
    }
}
