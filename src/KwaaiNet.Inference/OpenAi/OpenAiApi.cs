// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using KwaaiNet.Inference.Generation;
using KwaaiNet.Inference.OpenAi.Wire;
using KwaaiNet.Inference.Sessions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Inference.OpenAi;

/// <summary>
/// The OpenAI-compatible API: authenticates and rate-limits each request, reads and checks its body, picks the backend
/// that serves the requested model, and answers in OpenAI's shapes (server-sent events when streaming).
/// </summary>
internal sealed class OpenAiApi : IDisposable
{
    /// <summary>The ActivitySource of the API's requests.</summary>
    public const string ActivitySourceName = "KwaaiNet.Inference.OpenAi";

    private const string Chat = "chat";
    private const string TextCompletion = "text_completion";
    private static readonly ActivitySource Source = new(ActivitySourceName);

    private readonly ITextGenerationBackend[] _backends;
    private readonly OpenAiOptions _options;
    private readonly byte[][] _keyHashes;
    private readonly PartitionedRateLimiter<string>? _limiter;
    private readonly TimeProvider _time;
    private readonly ILogger<OpenAiApi> _logger;
    private readonly long _started;

    public OpenAiApi(IEnumerable<ITextGenerationBackend> backends, IOptions<OpenAiOptions> options, TimeProvider time, ILogger<OpenAiApi> logger)
    {
        _backends = [.. backends];
        _options = options.Value;
        _time = time;
        _logger = logger;
        _started = time.GetUtcNow().ToUnixTimeSeconds();

        // Keys are compared as SHA-256 hashes in constant time, so neither a key's bytes nor its length leak through timing.
        _keyHashes = [.. _options.ApiKeys.Select(static key => SHA256.HashData(Encoding.UTF8.GetBytes(key)))];
        var perMinute = _options.RequestsPerMinute;
        _limiter = perMinute == 0
            ? null
            : PartitionedRateLimiter.Create<string, string>(partition => RateLimitPartition.GetFixedWindowLimiter(
                partition,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
    }

    public void Dispose() => _limiter?.Dispose();

    /// <summary><c>POST /v1/chat/completions</c>.</summary>
    public Task ChatCompletionsAsync(HttpContext context) => RunAsync(context, Chat, ChatAsync);

    /// <summary><c>POST /v1/completions</c>.</summary>
    public Task CompletionsAsync(HttpContext context) => RunAsync(context, TextCompletion, CompleteAsync);

    /// <summary><c>GET /v1/models</c>.</summary>
    public Task ModelsAsync(HttpContext context) => RunAsync(context, "list_models", ListModelsAsync);

    /// <summary><c>GET /v1/models/{id}</c>.</summary>
    public Task ModelAsync(HttpContext context) => RunAsync(context, "get_model", GetModelAsync);

    /// <summary>Any other <c>/v1/*</c> path or method.</summary>
    public Task UnknownAsync(HttpContext context) => RunAsync(
        context, "unknown", static (c, _, _) => throw new OpenAiRequestException(OpenAiError.UnknownUrl(c.Request.Method, c.Request.Path)));

    private async Task RunAsync(HttpContext context, string operation, Func<HttpContext, Activity?, CancellationToken, Task> handle)
    {
        var cancellationToken = context.RequestAborted;
        using var activity = Source.StartActivity(operation);
        activity?.SetTag("gen_ai.operation.name", operation);
        try
        {
            Admit(context);
            await handle(context, activity, cancellationToken);
        }
        catch (OpenAiRequestException e)
        {
            var error = e.Error;
            var code = error.Code ?? error.Type;
            _logger.OpenAiRequestRefused(context.Request.Method, context.Request.Path.Value ?? string.Empty, error.Status, code, error.Message);
            activity?.SetTag("error.type", code);
            activity?.SetStatus(ActivityStatusCode.Error, code);
            await OpenAiResponses.WriteErrorAsync(context, error, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away; the generation stopped with it.
            activity?.SetStatus(ActivityStatusCode.Error, "cancelled");
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // A failure of the backend (a model run, a lost span): the client gets OpenAI's 500, the log the cause.
            _logger.OpenAiRequestFailed(context.Request.Method, context.Request.Path.Value ?? string.Empty, e);
            activity?.SetTag("error.type", e.GetType().FullName);
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            await OpenAiResponses.WriteErrorAsync(context, OpenAiError.Internal(), cancellationToken);
        }
    }

    /// <summary>Checks the API key (when keys are configured) and the rate limit of the key or remote address.</summary>
    private void Admit(HttpContext context)
    {
        string partition;
        if (_keyHashes.Length == 0)
        {
            partition = "ip:" + ClientPartition.Address(context);
        }
        else
        {
            var header = context.Request.Headers.Authorization.ToString();
            const string Bearer = "Bearer ";
            if (!header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase) || header.AsSpan(Bearer.Length).Trim().IsEmpty)
            {
                throw new OpenAiRequestException(OpenAiError.NoApiKey());
            }

            var hash = SHA256.HashData(Encoding.UTF8.GetBytes(header[Bearer.Length..].Trim()));
            var match = -1;
            for (var i = 0; i < _keyHashes.Length; i++)
            {
                // Every key is compared, so the time taken does not tell which one matched.
                if (CryptographicOperations.FixedTimeEquals(hash, _keyHashes[i]))
                {
                    match = i;
                }
            }

            if (match < 0)
            {
                throw new OpenAiRequestException(OpenAiError.BadApiKey());
            }

            partition = "key:" + match.ToString(CultureInfo.InvariantCulture);
        }

        if (_limiter is null)
        {
            return;
        }

        using var lease = _limiter.AttemptAcquire(partition);
        if (!lease.IsAcquired)
        {
            TimeSpan? retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : null;
            throw new OpenAiRequestException(OpenAiError.RateLimited(_options.RequestsPerMinute, retryAfter));
        }
    }

    private async Task ChatAsync(HttpContext context, Activity? activity, CancellationToken cancellationToken)
    {
        var request = await OpenAiRequests.ReadJsonAsync(context, _options.MaxRequestBytes, OpenAiJsonContext.Default.ChatCompletionRequest, cancellationToken);
        var model = OpenAiRequests.RequiredModel(request.Model);
        var messages = OpenAiRequests.Messages(request.Messages);
        var settings = request.MaxCompletionTokens is { } completionTokens
            ? CompletionSettings.From(request, completionTokens, "max_completion_tokens", _options.MaxTokens)
            : CompletionSettings.From(request, request.MaxTokens, "max_tokens", _options.MaxTokens);
        activity?.SetTag("gen_ai.request.model", model);
        var generator = Resolve(model);
        CheckCharacters(generator, messages.Sum(static m => (long)m.Content.Length + m.Role.Length), "messages");
        var prompt = Encode(() => generator.EncodeChat(messages), "messages");
        var generation = Plan(generator, prompt.Count, settings, "messages");
        var id = "chatcmpl-" + RandomNumberGenerator.GetHexString(24, lowercase: true);
        var created = _time.GetUtcNow().ToUnixTimeSeconds();
        (int Tokens, string FinishReason) result;
        if (settings.Stream)
        {
            OpenAiResponses.StartEvents(context);
            ChatCompletionChunk Chunk(ChatDelta delta, string? finishReason) => new()
            {
                Id = id,
                Created = created,
                Model = generator.ModelId,
                Choices = [new ChatChunkChoice { Delta = delta, FinishReason = finishReason }],
            };

            var response = context.Response;
            await OpenAiResponses.WriteEventAsync(response, Chunk(new ChatDelta { Role = "assistant", Content = string.Empty }, null), OpenAiJsonContext.Default.ChatCompletionChunk, cancellationToken);
            result = await GenerateTextAsync(
                generator,
                prompt,
                generation,
                settings.Stops,
                (text, ct) => OpenAiResponses.WriteEventAsync(response, Chunk(new ChatDelta { Content = text }, null), OpenAiJsonContext.Default.ChatCompletionChunk, ct),
                cancellationToken);
            await OpenAiResponses.WriteEventAsync(response, Chunk(new ChatDelta(), result.FinishReason), OpenAiJsonContext.Default.ChatCompletionChunk, cancellationToken);
            if (settings.IncludeUsage)
            {
                var usage = new ChatCompletionChunk
                {
                    Id = id,
                    Created = created,
                    Model = generator.ModelId,
                    Choices = [],
                    Usage = new UsageInfo { PromptTokens = prompt.Count, CompletionTokens = result.Tokens },
                };
                await OpenAiResponses.WriteEventAsync(response, usage, OpenAiJsonContext.Default.ChatCompletionChunk, cancellationToken);
            }

            await OpenAiResponses.EndEventsAsync(response, cancellationToken);
        }
        else
        {
            var text = new StringBuilder();
            result = await GenerateTextAsync(generator, prompt, generation, settings.Stops, Collect(text), cancellationToken);
            var completion = new ChatCompletion
            {
                Id = id,
                Created = created,
                Model = generator.ModelId,
                Choices = [new ChatCompletionChoice { Message = new AssistantMessage { Content = text.ToString() }, FinishReason = result.FinishReason }],
                Usage = new UsageInfo { PromptTokens = prompt.Count, CompletionTokens = result.Tokens },
            };
            await OpenAiResponses.WriteJsonAsync(context.Response, StatusCodes.Status200OK, completion, OpenAiJsonContext.Default.ChatCompletion, cancellationToken);
        }

        Completed(activity, Chat, generator.ModelId, prompt.Count, result);
    }

    private async Task CompleteAsync(HttpContext context, Activity? activity, CancellationToken cancellationToken)
    {
        var request = await OpenAiRequests.ReadJsonAsync(context, _options.MaxRequestBytes, OpenAiJsonContext.Default.CompletionRequest, cancellationToken);
        var model = OpenAiRequests.RequiredModel(request.Model);
        var (text, ids) = OpenAiRequests.Prompt(request.Prompt);
        if (request.Echo == true)
        {
            throw new OpenAiRequestException(OpenAiError.Invalid("'echo' is not supported by this server.", "echo"));
        }

        if (!string.IsNullOrEmpty(request.Suffix))
        {
            throw new OpenAiRequestException(OpenAiError.Invalid("'suffix' is not supported by this server.", "suffix"));
        }

        var settings = CompletionSettings.From(request, request.MaxTokens, "max_tokens", _options.MaxTokens);
        activity?.SetTag("gen_ai.request.model", model);
        var generator = Resolve(model);
        IReadOnlyList<int> prompt;
        if (text is not null)
        {
            CheckCharacters(generator, text.Length, "prompt");
            prompt = Encode(() => generator.EncodePrompt(text), "prompt");
        }
        else
        {
            prompt = ids!;
        }

        var generation = Plan(generator, prompt.Count, settings, "prompt");
        var id = "cmpl-" + RandomNumberGenerator.GetHexString(24, lowercase: true);
        var created = _time.GetUtcNow().ToUnixTimeSeconds();
        TextCompletion Completion(string piece, string? finishReason, UsageInfo? usage) => new()
        {
            Id = id,
            Created = created,
            Model = generator.ModelId,
            Choices = usage is not null && piece.Length == 0 && finishReason is null ? [] : [new TextCompletionChoice { Text = piece, FinishReason = finishReason }],
            Usage = usage,
        };

        (int Tokens, string FinishReason) result;
        if (settings.Stream)
        {
            OpenAiResponses.StartEvents(context);
            var response = context.Response;
            result = await GenerateTextAsync(
                generator,
                prompt,
                generation,
                settings.Stops,
                (piece, ct) => OpenAiResponses.WriteEventAsync(response, Completion(piece, null, null), OpenAiJsonContext.Default.TextCompletion, ct),
                cancellationToken);
            await OpenAiResponses.WriteEventAsync(response, Completion(string.Empty, result.FinishReason, null), OpenAiJsonContext.Default.TextCompletion, cancellationToken);
            if (settings.IncludeUsage)
            {
                var usage = new UsageInfo { PromptTokens = prompt.Count, CompletionTokens = result.Tokens };
                await OpenAiResponses.WriteEventAsync(response, Completion(string.Empty, null, usage), OpenAiJsonContext.Default.TextCompletion, cancellationToken);
            }

            await OpenAiResponses.EndEventsAsync(response, cancellationToken);
        }
        else
        {
            var output = new StringBuilder();
            result = await GenerateTextAsync(generator, prompt, generation, settings.Stops, Collect(output), cancellationToken);
            var usage = new UsageInfo { PromptTokens = prompt.Count, CompletionTokens = result.Tokens };
            await OpenAiResponses.WriteJsonAsync(
                context.Response, StatusCodes.Status200OK, Completion(output.ToString(), result.FinishReason, usage), OpenAiJsonContext.Default.TextCompletion, cancellationToken);
        }

        Completed(activity, TextCompletion, generator.ModelId, prompt.Count, result);
    }

    private Task ListModelsAsync(HttpContext context, Activity? activity, CancellationToken cancellationToken) =>
        OpenAiResponses.WriteJsonAsync(
            context.Response,
            StatusCodes.Status200OK,
            new ModelList { Data = [.. Listed().Select(ToWire)] },
            OpenAiJsonContext.Default.ModelList,
            cancellationToken);

    private Task GetModelAsync(HttpContext context, Activity? activity, CancellationToken cancellationToken)
    {
        var id = context.Request.RouteValues["id"] as string ?? string.Empty;
        var model = Listed().FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.Ordinal))
            ?? throw new OpenAiRequestException(OpenAiError.ModelNotFound(id));
        return OpenAiResponses.WriteJsonAsync(context.Response, StatusCodes.Status200OK, ToWire(model), OpenAiJsonContext.Default.ModelInfo, cancellationToken);
    }

    /// <summary>Every backend's models, each id once: a ready listing wins over one that is not.</summary>
    private List<TextGenerationModel> Listed()
    {
        List<TextGenerationModel> models = [];
        foreach (var backend in _backends)
        {
            foreach (var model in backend.Models)
            {
                var at = models.FindIndex(m => string.Equals(m.Id, model.Id, StringComparison.Ordinal));
                if (at < 0)
                {
                    models.Add(model);
                }
                else if (!models[at].IsReady && model.IsReady)
                {
                    models[at] = model;
                }
            }
        }

        return models;
    }

    private ModelInfo ToWire(TextGenerationModel model) =>
        new() { Id = model.Id, Created = _started, OwnedBy = model.OwnedBy, ContextLength = model.ContextLength };

    /// <summary>The generator of the first backend that lists <paramref name="model"/> and can generate it now.</summary>
    private ITextGenerator Resolve(string model)
    {
        string? unavailable = null;
        foreach (var backend in _backends)
        {
            foreach (var listed in backend.Models)
            {
                if (!string.Equals(listed.Id, model, StringComparison.Ordinal))
                {
                    continue;
                }

                if (listed.IsReady && backend.GetGenerator(model) is { } generator)
                {
                    return generator;
                }

                unavailable ??= listed.Unavailable ?? "it is being swapped";
            }
        }

        throw new OpenAiRequestException(unavailable is null ? OpenAiError.ModelNotFound(model) : OpenAiError.ModelNotReady(model, unavailable));
    }

    /// <summary>Refuses text too long to fit untokenized (see <see cref="PromptLimits"/>).</summary>
    private static void CheckCharacters(ITextGenerator generator, long characters, string param)
    {
        var limit = PromptLimits.MaxCharacters(generator.ContextLength);
        if (characters > limit)
        {
            throw new OpenAiRequestException(OpenAiError.PromptTooLong(generator.ContextLength, characters, limit, param));
        }
    }

    private static IReadOnlyList<int> Encode(Func<IReadOnlyList<int>> encode, string param)
    {
        try
        {
            return encode();
        }
        catch (ArgumentException e)
        {
            throw new OpenAiRequestException(OpenAiError.Invalid(e.Message, param));
        }
    }

    /// <summary>The generation a request asks for, when the prompt and completion fit the model's context.</summary>
    private GenerationRequest Plan(ITextGenerator generator, int promptTokens, CompletionSettings settings, string promptParam)
    {
        var room = generator.ContextLength - promptTokens;
        var completion = settings.MaxTokens ?? Math.Max(1, Math.Min(_options.DefaultMaxTokens, room));
        if (promptTokens == 0)
        {
            throw new OpenAiRequestException(OpenAiError.Invalid("The prompt is empty.", promptParam));
        }

        if (completion > room)
        {
            throw new OpenAiRequestException(OpenAiError.ContextLengthExceeded(
                generator.ContextLength, (long)promptTokens + completion, promptTokens, completion, room < 1 || settings.MaxTokens is null ? promptParam : settings.MaxTokensParam));
        }

        return new GenerationRequest { MaxNewTokens = completion, StopTokenIds = generator.StopTokenIds, Sampling = settings.Sampling };
    }

    /// <summary>
    /// Generates, handing each piece of text to <paramref name="emit"/> as soon as it is known not to start a stop string.
    /// </summary>
    /// <returns>The completion tokens generated and OpenAI's finish reason (<c>stop</c> or <c>length</c>).</returns>
    private static async Task<(int Tokens, string FinishReason)> GenerateTextAsync(
        ITextGenerator generator,
        IReadOnlyList<int> prompt,
        GenerationRequest generation,
        IReadOnlyList<string> stops,
        Func<string, CancellationToken, Task> emit,
        CancellationToken cancellationToken)
    {
        var decoder = new TextDeltaDecoder(generator.Decode);
        var filter = new StopSequenceFilter(stops);
        var finish = "length";
        try
        {
            await foreach (var token in generator.GenerateAsync(prompt, generation, cancellationToken))
            {
                if (token.IsText)
                {
                    var piece = filter.Push(decoder.Add(token.Id, token.FinishReason is not null));
                    if (piece.Length > 0)
                    {
                        await emit(piece, cancellationToken);
                    }

                    if (filter.Stopped)
                    {
                        // Leaving the enumeration ends the generation and closes its session.
                        finish = "stop";
                        break;
                    }
                }

                if (token.FinishReason is { } reason)
                {
                    finish = reason == GenerationFinishReason.Stop ? "stop" : "length";
                }
            }
        }
        catch (ArgumentException e)
        {
            throw new OpenAiRequestException(OpenAiError.Invalid(e.Message, "prompt"));
        }
        catch (InferenceSessionException e) when (e.Error == InferenceSessionError.CacheBudgetExceeded)
        {
            throw new OpenAiRequestException(OpenAiError.Busy(e.Message));
        }

        var rest = filter.Flush();
        if (rest.Length > 0)
        {
            await emit(rest, cancellationToken);
        }

        return (decoder.Count, finish);
    }

    private static Func<string, CancellationToken, Task> Collect(StringBuilder text) => (piece, _) =>
    {
        text.Append(piece);
        return Task.CompletedTask;
    };

    private void Completed(Activity? activity, string operation, string model, int promptTokens, (int Tokens, string FinishReason) result)
    {
        activity?.SetTag("gen_ai.usage.input_tokens", promptTokens);
        activity?.SetTag("gen_ai.usage.output_tokens", result.Tokens);
        activity?.SetTag("gen_ai.response.finish_reasons", result.FinishReason);
        _logger.OpenAiCompleted(operation, model, promptTokens, result.Tokens, result.FinishReason);
    }

}
