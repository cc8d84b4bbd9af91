// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Announcing;

/// <summary>Validates <see cref="AnnouncerOptions"/> at start, naming the key, the value and what is allowed.</summary>
internal sealed class AnnouncerOptionsValidator : IValidateOptions<AnnouncerOptions>
{
    private static readonly TimeSpan MaxTtl = TimeSpan.FromHours(24);

    public ValidateOptionsResult Validate(string? name, AnnouncerOptions options)
    {
        List<string> errors = [];
        var p = AnnouncerOptions.SectionName;
        if (options.RecordTtl <= TimeSpan.Zero || options.RecordTtl > MaxTtl)
        {
            errors.Add($"{p}:RecordTtl must be between 0 and {MaxTtl} (got {options.RecordTtl}); the DHT refuses records that expire later.");
        }

        if (options.RenewalPeriod <= TimeSpan.Zero)
        {
            errors.Add($"{p}:RenewalPeriod must be positive (got {options.RenewalPeriod}).");
        }

        if (options.RenewalJitter < TimeSpan.Zero || options.RenewalJitter >= options.RenewalPeriod)
        {
            errors.Add($"{p}:RenewalJitter must be at least 0 and less than RenewalPeriod (got {options.RenewalJitter}).");
        }

        if (options.RenewalPeriod + options.RenewalJitter >= options.RecordTtl)
        {
            errors.Add($"{p}:RenewalPeriod + RenewalJitter ({options.RenewalPeriod + options.RenewalJitter}) must be less than RecordTtl ({options.RecordTtl}), or records expire before they are renewed.");
        }

        foreach (var (key, value) in new[] { ("WorkerTimeout", options.WorkerTimeout), ("RetryDelay", options.RetryDelay), ("ShutdownTimeout", options.ShutdownTimeout) })
        {
            if (value <= TimeSpan.Zero)
            {
                errors.Add($"{p}:{key} must be positive (got {value}).");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
