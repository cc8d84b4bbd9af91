// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;

namespace KwaaiNet.Petals.Client;

/// <summary>One hop of a route: blocks [<paramref name="Start"/>, <paramref name="End"/>) on server <paramref name="PeerId"/>.</summary>
/// <param name="PeerId">The server's base58 peer id.</param>
/// <param name="Start">The first block of the hop.</param>
/// <param name="End">One past the hop's last block.</param>
public sealed record RouteSpan(string PeerId, int Start, int End)
{
    /// <summary>The number of blocks in the hop.</summary>
    public int Length => End - Start;

    /// <summary>The route as text for logs: <c>[0, 2) on 12D3…, [2, 4) on 12D3…</c>.</summary>
    public static string Describe(IEnumerable<RouteSpan> route)
    {
        ArgumentNullException.ThrowIfNull(route);
        return string.Join(", ", route.Select(static s => s.ToString()));
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"[{Start}, {End}) on {PeerId}");
}
