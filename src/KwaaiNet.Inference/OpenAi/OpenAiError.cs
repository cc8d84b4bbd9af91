// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.OpenAi.Wire;
using Microsoft.AspNetCore.Http;

namespace KwaaiNet.Inference.OpenAi;

/// <summary>An error the API answers with, in OpenAI's shape and with OpenAI's status, types and codes.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Message">What went wrong, for the client.</param>
/// <param name="Type">OpenAI's error type (<c>invalid_request_error</c>, <c>server_error</c>, ...).</param>
/// <param name="Param">The request field at fault, if one is.</param>
/// <param name="Code">OpenAI's error code, if it has one for this error.</param>
internal sealed record OpenAiError(int Status, string Message, string Type, string? Param = null, string? Code = null)
{
    public const string InvalidRequest = "invalid_request_error";

    public const string ServerError = "server_error";

    /// <summary>A header of a 429 error: seconds until a retry may succeed.</summary>
    public TimeSpan? RetryAfter { get; init; }

    public ErrorEnvelope ToWire() => new() { Error = new ErrorBody { Message = Message, Type = Type, Param = Param, Code = Code } };

    public static OpenAiError Invalid(string message, string? param = null, string? code = null) =>
        new(StatusCodes.Status400BadRequest, message, InvalidRequest, param, code);

    public static OpenAiError Missing(string param) =>
        Invalid($"Missing required parameter: '{param}'.", param, "missing_required_parameter");

    public static OpenAiError MalformedJson(string detail, string? param) =>
        Invalid(
            $"We could not parse the JSON body of your request ({detail}). The API expects a JSON object in the body.",
            param,
            "invalid_json");

    public static OpenAiError TooLarge(int limit) =>
        new(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than the {limit} bytes this server accepts.", InvalidRequest, null, "request_too_large");

    public static OpenAiError ModelNotFound(string model) =>
        new(StatusCodes.Status404NotFound, $"The model `{model}` does not exist or you do not have access to it.", InvalidRequest, "model", "model_not_found");

    public static OpenAiError ModelNotReady(string model, string why) =>
        new(StatusCodes.Status503ServiceUnavailable, $"The model `{model}` cannot generate now: {why}. Retry later.", ServerError, "model", "model_not_ready");

    public static OpenAiError ContextLengthExceeded(int contextLength, long requested, int promptTokens, int completionTokens, string param) =>
        Invalid(
            $"This model's maximum context length is {contextLength} tokens. However, you requested {requested} tokens ({promptTokens} in the prompt, {completionTokens} in the completion). Please reduce the length of the prompt or completion.",
            param,
            "context_length_exceeded");

    public static OpenAiError PromptTooLong(int contextLength, long characters, long limit, string param) =>
        Invalid(
            $"This model's maximum context length is {contextLength} tokens, so at most {limit} characters of prompt are accepted; the prompt has {characters}. Please reduce the length of the prompt.",
            param,
            "context_length_exceeded");

    public static OpenAiError NoApiKey() =>
        new(StatusCodes.Status401Unauthorized, "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'.", InvalidRequest, null, "invalid_api_key");

    public static OpenAiError BadApiKey() =>
        new(StatusCodes.Status401Unauthorized, "Incorrect API key provided.", InvalidRequest, null, "invalid_api_key");

    public static OpenAiError RateLimited(int perMinute, TimeSpan? retryAfter) =>
        new(StatusCodes.Status429TooManyRequests, $"Rate limit reached: {perMinute} requests per minute. Please try again later.", "requests", null, "rate_limit_exceeded")
        {
            RetryAfter = retryAfter,
        };

    public static OpenAiError Busy(string why) =>
        new(StatusCodes.Status503ServiceUnavailable, $"The server is overloaded: {why}. Retry later.", ServerError, null, "server_overloaded");

    public static OpenAiError Internal() =>
        new(StatusCodes.Status500InternalServerError, "The server had an error while processing your request.", ServerError);

    public static OpenAiError UnknownUrl(string method, string path) =>
        new(StatusCodes.Status404NotFound, $"Invalid URL ({method} {path}).", InvalidRequest, null, "unknown_url");
}
