// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text.Json;
using KwaaiNet.Inference.Generation;
using KwaaiNet.Inference.OpenAi.Wire;

namespace KwaaiNet.Inference.OpenAi;

/// <summary>The knobs of a completion request, checked and in the generator's terms.</summary>
/// <param name="MaxTokens">The completion tokens asked for; null to use the default.</param>
/// <param name="MaxTokensParam">The request field that set <paramref name="MaxTokens"/>, for errors.</param>
/// <param name="Sampling">How tokens are chosen.</param>
/// <param name="Stops">Strings that end the completion (not part of it).</param>
/// <param name="Stream">Whether to answer with server-sent events.</param>
/// <param name="IncludeUsage">Whether a stream ends with a usage chunk.</param>
internal sealed record CompletionSettings(
    int? MaxTokens, string MaxTokensParam, SamplingOptions Sampling, IReadOnlyList<string> Stops, bool Stream, bool IncludeUsage)
{
    /// <summary>OpenAI accepts up to four stop strings.</summary>
    public const int MaxStops = 4;

    /// <summary>Checks the shared knobs of <paramref name="request"/>.</summary>
    /// <param name="request">The request.</param>
    /// <param name="maxTokens">The completion limit the request set (its field differs between endpoints).</param>
    /// <param name="maxTokensParam">That field's name.</param>
    /// <param name="ceiling">The most completion tokens a request may ask for.</param>
    /// <exception cref="OpenAiRequestException">A value is out of range or not supported.</exception>
    public static CompletionSettings From(SamplingRequest request, int? maxTokens, string maxTokensParam, int ceiling)
    {
        if (request.N is { } n && n != 1)
        {
            throw Invalid($"Only one choice per request is served; 'n' must be 1 (it is {n}).", "n");
        }

        if (maxTokens is { } max && (max < 1 || max > ceiling))
        {
            throw Invalid($"'{maxTokensParam}' must be between 1 and {ceiling} (it is {max}).", maxTokensParam);
        }

        var temperature = request.Temperature ?? 1f;
        if (!float.IsFinite(temperature) || temperature < 0 || temperature > 2)
        {
            throw Invalid($"'temperature' must be between 0 and 2 (it is {temperature}).", "temperature");
        }

        var topP = request.TopP ?? 1f;
        if (!(topP >= 0 && topP <= 1))
        {
            throw Invalid($"'top_p' must be between 0 and 1 (it is {topP}).", "top_p");
        }

        CheckPenalty(request.FrequencyPenalty, "frequency_penalty");
        CheckPenalty(request.PresencePenalty, "presence_penalty");
        var stream = request.Stream ?? false;
        if (request.StreamOptions is not null && !stream)
        {
            throw Invalid("'stream_options' is only allowed when 'stream' is true.", "stream_options");
        }

        var sampling = new SamplingOptions
        {
            // top_p 0 keeps only the most likely token: greedy decoding.
            Temperature = topP == 0 ? 0 : temperature,
            TopP = topP == 0 ? 1 : topP,
            Seed = request.Seed is { } seed ? unchecked((ulong)seed) : null,
        };
        return new CompletionSettings(
            maxTokens, maxTokensParam, sampling, ParseStops(request.Stop), stream, request.StreamOptions?.IncludeUsage ?? false);
    }

    private static void CheckPenalty(float? penalty, string param)
    {
        if (penalty is { } value && value != 0)
        {
            throw Invalid($"'{param}' is not supported by this server; leave it out or set it to 0.", param);
        }
    }

    private static List<string> ParseStops(JsonElement? stop)
    {
        if (stop is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (element.ValueKind == JsonValueKind.String)
        {
            var one = element.GetString()!;
            return one.Length == 0 ? [] : [one];
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("'stop' must be a string or a list of strings.", "stop");
        }

        if (element.GetArrayLength() > MaxStops)
        {
            throw Invalid($"'stop' holds at most {MaxStops} strings (it holds {element.GetArrayLength()}).", "stop");
        }

        List<string> stops = [];
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString() is not { Length: > 0 } text)
            {
                throw Invalid("'stop' must be a string or a list of non-empty strings.", "stop");
            }

            stops.Add(text);
        }

        return stops;
    }

    private static OpenAiRequestException Invalid(string message, string param) => new(OpenAiError.Invalid(message, param));
}
