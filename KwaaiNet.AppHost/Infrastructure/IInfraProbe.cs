// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.AppHost.Infrastructure;

/// <summary>What the machine offers; an interface so that the choice is testable without Docker or the servers.</summary>
internal interface IInfraProbe
{
    /// <summary>Whether <c>docker info</c> answers healthy within <paramref name="timeout"/>, and what was seen.</summary>
    Task<(bool Healthy, string Detail)> ProbeContainerRuntimeAsync(TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>The full path of <paramref name="executable"/> when it is on PATH, else null.</summary>
    string? FindOnPath(string executable);
}
