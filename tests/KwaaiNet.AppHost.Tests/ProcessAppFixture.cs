// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.AppHost.Tests;

/// <summary>The split deployment: five services, local redis-server and rabbitmq-server, and the dashboard for traces.</summary>
public sealed class ProcessAppFixture : AppFixture
{
    protected override string Mode => "process";

    protected override IReadOnlyList<string> Resources { get; } =
        ["redis-server", "messaging-server", "dht", "inference-worker", "carbon-tracker", "map-announcer", "p2p-gateway"];

    protected override bool WithDashboard => true;
}
