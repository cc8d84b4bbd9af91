// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Kwaai;

/// <summary>Validates <see cref="KwaaiInferenceOptions"/> at start, naming the key, the value and what is allowed.</summary>
internal sealed class KwaaiInferenceOptionsValidator : IValidateOptions<KwaaiInferenceOptions>
{
    public ValidateOptionsResult Validate(string? name, KwaaiInferenceOptions options)
    {
        List<string> errors = [];
        var p = KwaaiInferenceOptions.SectionName;
        if (options.IdleTimeout <= TimeSpan.Zero || options.IdleTimeout > TimeSpan.FromDays(1))
        {
            errors.Add($"{p}:IdleTimeout must be positive and at most a day (got {options.IdleTimeout}).");
        }

        foreach (var (key, value, max) in new[]
        {
            ("MaxSessionsPerPeer", options.MaxSessionsPerPeer, 10_000),
            ("SessionMaxLength", options.SessionMaxLength, 1 << 20),
            ("MaxTokensPerRequest", options.MaxTokensPerRequest, 1 << 20),
        })
        {
            if (value < 1 || value > max)
            {
                errors.Add($"{p}:{key} must be between 1 and {max} (got {value}).");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
