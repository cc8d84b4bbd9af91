// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.ComponentModel.DataAnnotations;

namespace KwaaiNet.Inference.OpenAi;

/// <summary>The OpenAI-compatible API's settings, section <c>KwaaiNet:OpenAi</c>.</summary>
public sealed class OpenAiOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "KwaaiNet:OpenAi";

    /// <summary>
    /// The keys clients send as <c>Authorization: Bearer &lt;key&gt;</c>. Empty (the default): the API is open and
    /// any key, or none, is accepted.
    /// </summary>
    public IList<string> ApiKeys { get; } = [];

    /// <summary>
    /// Requests per minute per API key (per remote address when <see cref="ApiKeys"/> is empty); more get 429
    /// <c>rate_limit_exceeded</c>. 0 (the default) is unlimited.
    /// </summary>
    [Range(0, 1_000_000)]
    public int RequestsPerMinute { get; set; }

    /// <summary>The largest request body in bytes; a larger one gets 413 before it is parsed. Default 1 MiB.</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// The completion tokens of a request that sets no <c>max_tokens</c> (fewer when the context has less room).
    /// Default 512.
    /// </summary>
    [Range(1, 1 << 20)]
    public int DefaultMaxTokens { get; set; } = 512;

    /// <summary>The most completion tokens a request may ask for; more is a 400. Default 8192 (the worker's longest session).</summary>
    [Range(1, 1 << 20)]
    public int MaxTokens { get; set; } = 8192;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (DefaultMaxTokens > MaxTokens)
        {
            yield return new ValidationResult(
                $"DefaultMaxTokens ({DefaultMaxTokens}) must not exceed MaxTokens ({MaxTokens})", [nameof(DefaultMaxTokens), nameof(MaxTokens)]);
        }

        if (ApiKeys.Any(string.IsNullOrWhiteSpace))
        {
            yield return new ValidationResult("ApiKeys must not hold empty keys", [nameof(ApiKeys)]);
        }
    }
}
