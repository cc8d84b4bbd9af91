// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.AppHost.Infrastructure;

/// <summary>How the AppHost provides Redis and RabbitMQ (<c>KwaaiNet:Infra</c>).</summary>
internal enum InfraMode
{
    /// <summary>Containers if a container runtime answers, else local processes if both servers are installed, else embedded.</summary>
    Auto,

    /// <summary>Redis and RabbitMQ containers (needs a healthy Docker or Podman engine).</summary>
    Container,

    /// <summary>Local <c>redis-server</c> and <c>rabbitmq-server</c> processes under the AppHost.</summary>
    Process,

    /// <summary>One KwaaiNet.Node process with all five modules, the in-memory bus and in-memory storage.</summary>
    Embedded,
}
