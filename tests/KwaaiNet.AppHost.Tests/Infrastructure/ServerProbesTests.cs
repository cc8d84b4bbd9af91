// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using KwaaiNet.AppHost.Infrastructure;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KwaaiNet.AppHost.Tests.Infrastructure;

public sealed class ServerProbesTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static readonly byte[] NamesRequest = [0, 1, 110];

    [Fact]
    public async Task EpmdAsync_RealEpmd_IsHealthyOnceItListens()
    {
        var ct = TestContext.Current.CancellationToken;
        var epmd = new MachineInfraProbe().FindOnPath(InfraSelection.Epmd);
        Assert.True(epmd is not null, "epmd (from erlang, which rabbitmq-server installs) is not on PATH; Debian puts it in /usr/sbin");
        var port = FreePort.Next();
        using var process = Process.Start(new ProcessStartInfo(epmd, ["-address", "127.0.0.1", "-port", port.ToString(CultureInfo.InvariantCulture)])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            // epmd needs a moment to listen: probe until it answers, within a bound.
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(Bound);
            HealthCheckResult result;
            do
            {
                Assert.False(process.HasExited, $"epmd exited with code {(process.HasExited ? process.ExitCode : 0)}");
                result = await ServerProbes.EpmdAsync(port, deadline.Token);
                if (result.Status != HealthStatus.Healthy)
                {
                    await Task.Delay(50, deadline.Token);
                }
            }
            while (result.Status != HealthStatus.Healthy);

            // The same probe against a port where nothing listens must not pass.
            var other = await ServerProbes.EpmdAsync(FreePort.Next(), ct);
            Assert.Equal(HealthStatus.Unhealthy, other.Status);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(ct).WaitAsync(Bound, ct);
        }
    }

    [Fact]
    public async Task EpmdAsync_NoPortYet_IsUnhealthy()
    {
        var result = await ServerProbes.EpmdAsync(null, TestContext.Current.CancellationToken);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("no port allocated yet", result.Description);
    }

    [Fact]
    public async Task EpmdAsync_NothingListening_SaysConnectionRefused()
    {
        var port = FreePort.Next();

        var result = await ServerProbes.EpmdAsync(port, TestContext.Current.CancellationToken);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.StartsWith($"127.0.0.1:{port}:", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EpmdAsync_ServerAnswersAnotherPort_IsUnhealthy()
    {
        var (result, request) = await ProbeFakeAsync(static port => [.. BigEndian(port + 1), .. "name x at port 1\n"u8]);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("answered NAMES_REQ with port", result.Description, StringComparison.Ordinal);
        Assert.Equal(NamesRequest, request);
    }

    [Fact]
    public async Task EpmdAsync_ServerAnswersItsPort_IsHealthy()
    {
        var (result, request) = await ProbeFakeAsync(static port => BigEndian(port));

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal(NamesRequest, request);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public async Task EpmdAsync_ShortAnswer_IsUnhealthy(int length)
    {
        var (result, _) = await ProbeFakeAsync(port => BigEndian(port)[..length]);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains($"with {length} bytes", result.Description, StringComparison.Ordinal);
    }

    private static byte[] BigEndian(int value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];

    /// <summary>A one-connection server on loopback that reads the probe's 3-byte request, answers, and closes.</summary>
    private static async Task<(HealthCheckResult Result, byte[] Request)> ProbeFakeAsync(Func<int, byte[]> answer)
    {
        var ct = TestContext.Current.CancellationToken;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = ServeAsync();
        var result = await ServerProbes.EpmdAsync(port, ct).WaitAsync(Bound, ct);
        return (result, await server.WaitAsync(Bound, ct));

        async Task<byte[]> ServeAsync()
        {
            using var client = await listener.AcceptTcpClientAsync(ct);
            var stream = client.GetStream();
            var request = new byte[NamesRequest.Length];
            await stream.ReadExactlyAsync(request, ct);
            await stream.WriteAsync(answer(port), ct);
            return request;
        }
    }
}
