// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;

namespace KwaaiNet.AppHost.Infrastructure;

/// <summary>Probes this machine: runs <c>docker info</c> and searches PATH.</summary>
internal sealed class MachineInfraProbe : IInfraProbe
{
    public async Task<(bool Healthy, string Detail)> ProbeContainerRuntimeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var docker = FindOnPath("docker");
        if (docker is null)
        {
            return (false, "docker is not installed");
        }

        using var process = new Process
        {
            StartInfo = new ProcessStartInfo(docker, ["info", "--format", "{{.ServerVersion}}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            },
        };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            process.Start();
            var output = process.StandardOutput.ReadToEndAsync(deadline.Token);
            var error = process.StandardError.ReadToEndAsync(deadline.Token);
            await process.WaitForExitAsync(deadline.Token);
            if (process.ExitCode == 0)
            {
                return (true, $"docker engine {(await output).Trim()}");
            }

            var firstError = (await error).Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim();
            return (false, $"docker info failed: {firstError ?? $"exit code {process.ExitCode}"}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            return (false, $"docker info did not answer within {timeout.TotalSeconds:0} s");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (false, $"docker could not be run: {ex.Message}");
        }
    }

    public string? FindOnPath(string executable)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var folder in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, executable);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
