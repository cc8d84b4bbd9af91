// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Serving;

/// <summary>Validates <see cref="PetalsServerOptions"/>: positive timeouts, limits from 1 KiB to 1 GiB.</summary>
internal sealed class PetalsServerOptionsValidator : IValidateOptions<PetalsServerOptions>
{
    private const long MinBytes = 1024;
    private const long MaxBytes = 1L << 30;

    public ValidateOptionsResult Validate(string? name, PetalsServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string p = PetalsServerOptions.SectionName;
        List<string> errors = [];
        Positive(errors, $"{p}:{nameof(options.StepTimeout)}", options.StepTimeout);
        Positive(errors, $"{p}:{nameof(options.SessionTimeout)}", options.SessionTimeout);
        Positive(errors, $"{p}:{nameof(options.RequestTimeout)}", options.RequestTimeout);
        InRange(errors, $"{p}:{nameof(options.MaxStreamMessageBytes)}", options.MaxStreamMessageBytes);
        InRange(errors, $"{p}:{nameof(options.MaxUnaryMessageBytes)}", options.MaxUnaryMessageBytes);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Positive(List<string> errors, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero || value > TimeSpan.FromDays(1))
        {
            errors.Add($"{key} must be positive and at most one day (got {value}).");
        }
    }

    private static void InRange(List<string> errors, string key, long value)
    {
        if (value is < MinBytes or > MaxBytes)
        {
            errors.Add($"{key} must be from {MinBytes} to {MaxBytes} bytes (got {value}).");
        }
    }
}
