// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.AppHost.Infrastructure;

/// <summary>Chooses the infrastructure mode (ARCHITECTURE.md, run modes).</summary>
internal static class InfraSelection
{
    /// <summary>The configuration key.</summary>
    public const string ConfigurationKey = "KwaaiNet:Infra";

    /// <summary>How long <c>docker info</c> may take before the engine counts as absent.</summary>
    public static readonly TimeSpan ContainerProbeTimeout = TimeSpan.FromSeconds(4);

    public const string RedisServer = "redis-server";
    public const string RabbitMqServer = "rabbitmq-server";
    public const string Epmd = "epmd";

    /// <summary>Parses <c>KwaaiNet:Infra</c>; a bad value is an error that lists the good ones.</summary>
    public static InfraMode Parse(string? configured)
    {
        if (string.IsNullOrWhiteSpace(configured))
        {
            return InfraMode.Auto;
        }

        return Enum.TryParse<InfraMode>(configured.Trim(), ignoreCase: true, out var mode) && Enum.IsDefined(mode)
            ? mode
            : throw new InvalidOperationException(
                $"{ConfigurationKey} is '{configured}'; use one of auto, container, process, embedded.");
    }

    /// <summary>Resolves <paramref name="configured"/> against what <paramref name="probe"/> finds.</summary>
    public static async Task<InfraChoice> ChooseAsync(InfraMode configured, IInfraProbe probe, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(probe);
        switch (configured)
        {
            case InfraMode.Container:
                return new InfraChoice(InfraMode.Container, $"{ConfigurationKey}=container");
            case InfraMode.Process:
                var missing = MissingServers(probe);
                return missing.Count == 0
                    ? new InfraChoice(InfraMode.Process, $"{ConfigurationKey}=process")
                    : throw new InvalidOperationException(
                        $"{ConfigurationKey}=process, but {string.Join(" and ", missing)} not on PATH. "
                        + "Install them (Debian/Ubuntu: sudo apt-get install redis-server rabbitmq-server), or use KwaaiNet:Infra=embedded.");
            case InfraMode.Embedded:
                return new InfraChoice(InfraMode.Embedded, $"{ConfigurationKey}=embedded");
        }

        var (healthy, docker) = await probe.ProbeContainerRuntimeAsync(ContainerProbeTimeout, cancellationToken);
        if (healthy)
        {
            return new InfraChoice(InfraMode.Container, $"a container runtime answered ({docker})");
        }

        var absent = MissingServers(probe);
        return absent.Count == 0
            ? new InfraChoice(InfraMode.Process, $"no container runtime ({docker}); {RedisServer} and {RabbitMqServer} are on PATH")
            : new InfraChoice(InfraMode.Embedded, $"no container runtime ({docker}), and {string.Join(" and ", absent)} not on PATH");
    }

    private static List<string> MissingServers(IInfraProbe probe) =>
        [.. ((string[])[RedisServer, RabbitMqServer, Epmd]).Where(exe => probe.FindOnPath(exe) is null).Select(static exe => exe + (exe == Epmd ? " (from erlang)" : string.Empty))];
}
