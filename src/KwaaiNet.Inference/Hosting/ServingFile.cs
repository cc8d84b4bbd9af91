// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KwaaiNet.Inference.Hosting;

/// <summary>
/// <c>{home}/serving.json</c>: the span the map-announcer last chose for this worker, so that a restart resumes it.
/// <c>{ "model": str, "start": int, "end": int, "dht_prefix": str|null, "repository": str|null, "issued_at": ISO 8601 }</c>,
/// written atomically (temp file, then rename) and read back bounded and validated.
/// </summary>
internal sealed class ServingFile(string path)
{
    /// <summary>The file's name in the node's home folder.</summary>
    public const string FileName = "serving.json";

    /// <summary>Larger files are not read (a valid one is a few hundred bytes).</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>The highest block number accepted (the node settings' limit).</summary>
    public const int MaxBlock = 1024;

    /// <summary>The longest model reference accepted (the node settings' limit).</summary>
    public const int MaxModelLength = 1024;

    private const int MaxTextLength = 2048;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public string Path { get; } = path;

    /// <summary>Null when <paramref name="request"/> is one this worker can persist and serve; else why not.</summary>
    public static string? Validate(SpanRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Model) || request.Model.Length > MaxModelLength)
        {
            return $"the model must be a reference of 1 to {MaxModelLength} characters";
        }

        if (request.Start < 0 || request.Start > MaxBlock || request.End <= request.Start || request.End > request.Start + MaxBlock)
        {
            return string.Create(CultureInfo.InvariantCulture, $"the span [{request.Start}, {request.End}) is not 0 <= start < end, at most {MaxBlock} blocks from block {MaxBlock} or below");
        }

        return request.DhtPrefix is { Length: > MaxTextLength } || request.Repository is { Length: > MaxTextLength }
            ? $"the dht prefix and repository must be at most {MaxTextLength} characters"
            : null;
    }

    /// <summary>
    /// The persisted span; (null, null) when there is no file; (null, reason) when the file is unreadable, too large, or
    /// not a valid span (the caller logs the reason and ignores the file).
    /// </summary>
    public (SpanRequest? Request, string? Problem) Read()
    {
        try
        {
            var info = new FileInfo(Path);
            if (!info.Exists)
            {
                return (null, null);
            }

            if (info.Length > MaxBytes)
            {
                return (null, string.Create(CultureInfo.InvariantCulture, $"it has {info.Length} bytes, more than the limit of {MaxBytes}"));
            }

            if (JsonNode.Parse(File.ReadAllText(Path), documentOptions: new JsonDocumentOptions { MaxDepth = 4 }) is not JsonObject root)
            {
                return (null, "it is not a JSON object");
            }

            var request = new SpanRequest(
                Text(root, "model") ?? throw new FormatException("'model' is missing"),
                Number(root, "start"),
                Number(root, "end"),
                Text(root, "dht_prefix"),
                Text(root, "repository"),
                DateTimeOffset.Parse(Text(root, "issued_at") ?? throw new FormatException("'issued_at' is missing"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                SpanRequest.FromServingFile);
            return Validate(request) is { } problem ? (null, problem) : (request, null);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            return (null, e.Message);
        }
    }

    /// <summary>Writes <paramref name="request"/>, replacing the file atomically (temp file, then rename).</summary>
    /// <exception cref="IOException">The file could not be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The file could not be written.</exception>
    public void Write(SpanRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var root = new JsonObject
        {
            ["model"] = request.Model,
            ["start"] = request.Start,
            ["end"] = request.End,
            ["dht_prefix"] = request.DhtPrefix,
            ["repository"] = request.Repository,
            ["issued_at"] = request.IssuedAt.ToString("O", CultureInfo.InvariantCulture),
        };
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
        var temp = Path + ".tmp";
        File.WriteAllText(temp, root.ToJsonString(Indented));
        File.Move(temp, Path, overwrite: true);
    }

    private static string? Text(JsonObject root, string key) => root[key] switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        _ => throw new FormatException($"'{key}' is not a string"),
    };

    private static int Number(JsonObject root, string key) => root[key] is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<int>(out var n)
        ? n
        : throw new FormatException($"'{key}' is not a whole number");
}
