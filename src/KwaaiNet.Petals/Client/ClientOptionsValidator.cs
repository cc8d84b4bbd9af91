// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Petals.Records;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Client;

/// <summary>Validates <see cref="ClientOptions"/> at start, naming the key, the value and what is allowed.</summary>
internal sealed class ClientOptionsValidator : IValidateOptions<ClientOptions>
{
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromHours(1);

    public ValidateOptionsResult Validate(string? name, ClientOptions options)
    {
        List<string> errors = [];
        var p = ClientOptions.SectionName;
        foreach (var (key, value) in new[]
        {
            ("ConnectTimeout", options.ConnectTimeout),
            ("RequestTimeout", options.RequestTimeout),
            ("PingTimeout", options.PingTimeout),
            ("MinBackoff", options.MinBackoff),
            ("MaxBackoff", options.MaxBackoff),
        })
        {
            if (value <= TimeSpan.Zero || value > MaxTimeout)
            {
                errors.Add($"{p}:{key} must be more than 0 and at most {MaxTimeout} (got {value}).");
            }
        }

        if (options.MaxBackoff < options.MinBackoff)
        {
            errors.Add($"{p}:MaxBackoff ({options.MaxBackoff}) must be at least MinBackoff ({options.MinBackoff}).");
        }

        if (options.BanTimeout < TimeSpan.Zero || options.BanTimeout > MaxTimeout)
        {
            errors.Add($"{p}:BanTimeout must be 0 (no bans) to {MaxTimeout} (got {options.BanTimeout}).");
        }

        if (options.MaxRetries is < 0 or > 1000)
        {
            errors.Add($"{p}:MaxRetries must be 0 to 1000 (got {options.MaxRetries}).");
        }

        if (options.MaxResponseBytes is < 1024 or > 1L << 32)
        {
            errors.Add($"{p}:MaxResponseBytes must be 1 KiB to 4 GiB (got {options.MaxResponseBytes}).");
        }

        if (!Enum.IsDefined(options.Protocol))
        {
            errors.Add($"{p}:Protocol must be Petals or Kwaai (got {options.Protocol}).");
        }

        if (options.DhtPrefix is { } prefix && !ModuleUid.IsValidPrefix(prefix))
        {
            errors.Add($"{p}:DhtPrefix '{prefix}' is not a dht prefix (empty, or with '.' or ' ').");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
