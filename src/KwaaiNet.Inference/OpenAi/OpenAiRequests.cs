// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using KwaaiNet.Inference.OpenAi.Wire;
using KwaaiNet.Inference.Tokenization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace KwaaiNet.Inference.OpenAi;

/// <summary>Reads request bodies and turns their fields into the generator's terms; bad input is an <see cref="OpenAiRequestException"/>.</summary>
internal static class OpenAiRequests
{
    public static string RequiredModel(string? model) => string.IsNullOrEmpty(model)
        ? throw new OpenAiRequestException(OpenAiError.Missing("model"))
        : model;

    /// <summary>The request's messages as the chat format takes them: text content only; <c>developer</c> is <c>system</c>.</summary>
    public static List<ChatMessage> Messages(List<ChatMessageRequest?>? messages)
    {
        if (messages is null)
        {
            throw new OpenAiRequestException(OpenAiError.Missing("messages"));
        }

        if (messages.Count == 0)
        {
            throw new OpenAiRequestException(OpenAiError.Invalid("'messages' must hold at least one message.", "messages", "empty_array"));
        }

        List<ChatMessage> chat = new(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            var param = $"messages[{i}]";
            if (messages[i] is not { } message)
            {
                throw new OpenAiRequestException(OpenAiError.Invalid($"'{param}' must be a message object.", param));
            }

            var role = message.Role switch
            {
                null => throw new OpenAiRequestException(OpenAiError.Missing(param + ".role")),
                "developer" or ChatMessage.SystemRole => ChatMessage.SystemRole,
                ChatMessage.UserRole or ChatMessage.AssistantRole => message.Role,
                _ => throw new OpenAiRequestException(OpenAiError.Invalid(
                    $"'{param}.role' is '{message.Role}'; this server takes 'system', 'developer', 'user' and 'assistant' messages.", param + ".role")),
            };
            chat.Add(new ChatMessage(role, Content(message.Content, param + ".content")));
        }

        return chat;
    }

    /// <summary>A message's text: a string, or the text parts of a list of content parts joined.</summary>
    public static string Content(JsonElement? content, string param)
    {
        if (content is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            throw new OpenAiRequestException(OpenAiError.Missing(param));
        }

        if (element.ValueKind == JsonValueKind.String)
        {
            return element.GetString()!;
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            throw new OpenAiRequestException(OpenAiError.Invalid($"'{param}' must be a string or a list of content parts.", param));
        }

        var text = new StringBuilder();
        foreach (var part in element.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object
                || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "text"
                || !part.TryGetProperty("text", out var value) || value.ValueKind != JsonValueKind.String)
            {
                throw new OpenAiRequestException(OpenAiError.Invalid($"'{param}' may only hold text parts ({{\"type\": \"text\", \"text\": ...}}).", param));
            }

            text.Append(value.GetString());
        }

        return text.ToString();
    }

    /// <summary>A completion's prompt: a string, a list holding one string, or a list of token ids.</summary>
    public static (string? Text, List<int>? Ids) Prompt(JsonElement? prompt)
    {
        if (prompt is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            throw new OpenAiRequestException(OpenAiError.Missing("prompt"));
        }

        if (element.ValueKind == JsonValueKind.String)
        {
            return (element.GetString()!, null);
        }

        if (element.ValueKind == JsonValueKind.Array)
        {
            var count = element.GetArrayLength();
            if (count == 1 && element[0].ValueKind == JsonValueKind.String)
            {
                return (element[0].GetString()!, null);
            }

            List<int> ids = new(count);
            foreach (var item in element.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out var id))
                {
                    ids = [];
                    break;
                }

                ids.Add(id);
            }

            if (ids.Count > 0)
            {
                return (null, ids);
            }
        }

        throw new OpenAiRequestException(OpenAiError.Invalid("'prompt' must be a string, a list holding one string, or a list of token ids.", "prompt"));
    }

    /// <summary>Reads the body, at most <paramref name="limit"/> bytes (<see cref="OpenAiOptions.MaxRequestBytes"/>), and parses it.</summary>
    public static async Task<T> ReadJsonAsync<T>(HttpContext context, int limit, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        if (context.Request.ContentLength > limit)
        {
            throw new OpenAiRequestException(OpenAiError.TooLarge(limit));
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            // The server stops reading a bit past the limit too, so that a body without Content-Length cannot run on.
            size.MaxRequestBodySize = limit + 1L;
        }

        var body = new ArrayBufferWriter<byte>(4096);
        try
        {
            while (true)
            {
                var read = await context.Request.Body.ReadAsync(body.GetMemory(16 * 1024), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                body.Advance(read);
                if (body.WrittenCount > limit)
                {
                    throw new OpenAiRequestException(OpenAiError.TooLarge(limit));
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new OpenAiRequestException(OpenAiError.TooLarge(limit));
        }

        try
        {
            return JsonSerializer.Deserialize(body.WrittenSpan, type)
                ?? throw new OpenAiRequestException(OpenAiError.Invalid("The body must be a JSON object."));
        }
        catch (JsonException e)
        {
            var param = e.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null;
            var detail = param is null
                ? $"not valid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}"
                : $"'{param}' has a value of the wrong type";
            throw new OpenAiRequestException(OpenAiError.MalformedJson(detail, param));
        }
    }
}
