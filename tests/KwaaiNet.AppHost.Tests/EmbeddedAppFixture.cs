// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.AppHost.Tests;

/// <summary>The embedded single-process node.</summary>
public sealed class EmbeddedAppFixture : AppFixture
{
    protected override string Mode => "embedded";

    protected override IReadOnlyList<string> Resources { get; } = ["node"];
}
