// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.AppHost.Infrastructure;

namespace KwaaiNet.AppHost.Tests.Infrastructure;

public sealed class InfraSelectionTests
{
    [Theory]
    [InlineData(null, nameof(InfraMode.Auto))]
    [InlineData("", nameof(InfraMode.Auto))]
    [InlineData("auto", nameof(InfraMode.Auto))]
    [InlineData("Container", nameof(InfraMode.Container))]
    [InlineData(" PROCESS ", nameof(InfraMode.Process))]
    [InlineData("embedded", nameof(InfraMode.Embedded))]
    public void Parse_KnownValue_ReturnsMode(string? value, string expected) => Assert.Equal(expected, InfraSelection.Parse(value).ToString());

    [Theory]
    [InlineData("docker")]
    [InlineData("7")]
    public void Parse_UnknownValue_ListsTheGoodOnes(string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => InfraSelection.Parse(value));

        Assert.Contains("auto, container, process, embedded", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChooseAsync_AutoWithHealthyDocker_TakesContainers()
    {
        var choice = await InfraSelection.ChooseAsync(InfraMode.Auto, new Probe(docker: true, servers: false), TestContext.Current.CancellationToken);

        Assert.Equal(InfraMode.Container, choice.Mode);
        Assert.Contains("engine 28", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChooseAsync_AutoWithoutDockerWithServers_TakesProcesses()
    {
        var choice = await InfraSelection.ChooseAsync(InfraMode.Auto, new Probe(docker: false, servers: true), TestContext.Current.CancellationToken);

        Assert.Equal(InfraMode.Process, choice.Mode);
        Assert.Contains("no container runtime (cannot connect)", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChooseAsync_AutoWithNothing_FallsBackToEmbeddedAndSaysWhy()
    {
        var choice = await InfraSelection.ChooseAsync(InfraMode.Auto, new Probe(docker: false, servers: false), TestContext.Current.CancellationToken);

        Assert.Equal(InfraMode.Embedded, choice.Mode);
        Assert.Contains("redis-server and rabbitmq-server and epmd (from erlang) not on PATH", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChooseAsync_ProcessWithoutServers_FailsWithInstallHint()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => InfraSelection.ChooseAsync(InfraMode.Process, new Probe(docker: true, servers: false), TestContext.Current.CancellationToken));

        Assert.Contains("apt-get install redis-server rabbitmq-server", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(InfraMode.Container))]
    [InlineData(nameof(InfraMode.Embedded))]
    public async Task ChooseAsync_ExplicitMode_IsKeptWithoutProbing(string modeName)
    {
        var mode = Enum.Parse<InfraMode>(modeName);
        var probe = new Probe(docker: false, servers: false);

        var choice = await InfraSelection.ChooseAsync(mode, probe, TestContext.Current.CancellationToken);

        Assert.Equal(mode, choice.Mode);
        Assert.False(probe.DockerProbed);
    }

    [Fact]
    public void ResolveRabbitMqServer_DebianWrapper_ResolvesToTheScriptBesideIt()
    {
        var folder = Directory.CreateTempSubdirectory("kwaainet-rabbit-").FullName;
        try
        {
            var bin = Directory.CreateDirectory(Path.Combine(folder, "lib")).FullName;
            File.WriteAllText(Path.Combine(bin, "rabbitmq-script-wrapper"), "#!/bin/sh");
            File.WriteAllText(Path.Combine(bin, "rabbitmq-server"), "#!/bin/sh");
            var link = Path.Combine(folder, "rabbitmq-server");
            File.CreateSymbolicLink(link, Path.Combine(bin, "rabbitmq-script-wrapper"));

            Assert.Equal(Path.Combine(bin, "rabbitmq-server"), LocalServerExtensions.ResolveRabbitMqServer(link));
            Assert.Equal(Path.Combine(bin, "rabbitmq-server"), LocalServerExtensions.ResolveRabbitMqServer(Path.Combine(bin, "rabbitmq-server")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private sealed class Probe(bool docker, bool servers) : IInfraProbe
    {
        public bool DockerProbed { get; private set; }

        public Task<(bool Healthy, string Detail)> ProbeContainerRuntimeAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            DockerProbed = true;
            return Task.FromResult(docker ? (true, "docker engine 28.2.2") : (false, "cannot connect"));
        }

        public string? FindOnPath(string executable) => servers ? "/usr/bin/" + executable : null;
    }
}
