// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Contracts.Node;

/// <summary>
/// Binds <see cref="NodeOptions"/>. Unknown keys are errors (a typo such as <c>start_blocks</c> must not be ignored),
/// and <c>initial_peers</c> is read by hand: .NET configuration cannot express an empty list (a JSON <c>[]</c>
/// yields no keys at all), and the binder would append configured peers to the defaults instead of replacing them.
/// </summary>
internal sealed class NodeOptionsSetup(IConfiguration configuration) : IConfigureOptions<NodeOptions>
{
    private static readonly char[] PeerSeparators = [',', ';', ' ', '\t', '\n', '\r'];

    /// <summary>The upstream key names, read from the properties' <see cref="ConfigurationKeyNameAttribute"/>.</summary>
    private static readonly HashSet<string> KnownKeys = typeof(NodeOptions).GetProperties()
        .Select(static p => p.GetCustomAttributes(typeof(ConfigurationKeyNameAttribute), inherit: false).OfType<ConfigurationKeyNameAttribute>().FirstOrDefault()?.Name)
        .OfType<string>()
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    public void Configure(NodeOptions options)
    {
        var section = configuration.GetSection(NodeOptions.SectionName);
        var unknown = section.GetChildren().Select(static c => c.Key).Where(static k => !KnownKeys.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new OptionsValidationException(
                NodeOptions.SectionName,
                typeof(NodeOptions),
                [$"{NodeOptions.SectionName}: unknown key(s) {string.Join(", ", unknown)}; the keys are {string.Join(", ", KnownKeys.Order(StringComparer.Ordinal))}."]);
        }

        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            throw new OptionsValidationException(
                NodeOptions.SectionName,
                typeof(NodeOptions),
                [$"{NodeOptions.SectionName}: {ex.Message} {ex.InnerException?.Message}".TrimEnd()]);
        }

        options.InitialPeers = ReadInitialPeers(section.GetSection("initial_peers"));
    }

    /// <summary>Absent: the bootstrap peers. A string: peers separated by commas or white space; "" or "none": no peers. Children: one peer each.</summary>
    internal static IReadOnlyList<string> ReadInitialPeers(IConfigurationSection section)
    {
        if (!section.Exists() && section.Value is null)
        {
            return NodeDefaults.BootstrapPeers;
        }

        var children = section.GetChildren().ToList();
        if (children.Count > 0)
        {
            return [.. children.Select(static c => c.Value?.Trim() ?? string.Empty).Where(static v => v.Length > 0 && !IsNone(v))];
        }

        var value = section.Value ?? string.Empty;
        return IsNone(value.Trim()) ? [] : value.Split(PeerSeparators, StringSplitOptions.RemoveEmptyEntries);
    }

    private static bool IsNone(string value) => value.Length == 0 || value.Equals("none", StringComparison.OrdinalIgnoreCase);
}
