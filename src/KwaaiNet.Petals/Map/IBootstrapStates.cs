// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Map;

/// <summary>The map's <c>bootstrap_states</c>: whether each configured bootstrap peer is reachable now.</summary>
public interface IBootstrapStates
{
    /// <summary>One entry per configured bootstrap peer, in configuration order: <c>online</c> or <c>offline</c>.</summary>
    Task<IReadOnlyList<string>> GetStatesAsync(CancellationToken cancellationToken);
}
