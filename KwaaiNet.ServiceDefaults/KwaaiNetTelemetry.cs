// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.ServiceDefaults;

/// <summary>The ActivitySource and Meter names that every service exports to the dashboard.</summary>
public static class KwaaiNetTelemetry
{
    /// <summary>Our modules name their sources <c>KwaaiNet.&lt;Module&gt;</c>; OpenTelemetry accepts this wildcard.</summary>
    public const string SourceNames = "KwaaiNet.*";

    /// <summary>Our modules' meters, same convention.</summary>
    public const string MeterNames = "KwaaiNet.*";

    /// <summary>MassTransit's own source and meter: a message's trace crosses RabbitMQ through them.</summary>
    public const string MassTransitName = "MassTransit";
}
