// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using System.Globalization;

namespace KwaaiNet.AppHost.Infrastructure;

/// <summary>
/// A per-run folder for local servers' data (RabbitMQ's mnesia, logs and Erlang cookie), named after the AppHost's
/// process id. Removed when the AppHost stops; folders of AppHosts that died without cleaning up are removed at the
/// next start, so nothing accumulates in the temp folder.
/// </summary>
internal static class ScratchFolder
{
    private const string Prefix = "kwaainet-apphost-";

    public static string Create(string name)
    {
        var root = Path.GetTempPath();
        RemoveStale(root);
        var folder = Path.Combine(root, $"{Prefix}{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        return folder;
    }

    public static void Remove(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A server still closing its files; the next start removes the folder.
        }
    }

    private static void RemoveStale(string root)
    {
        foreach (var folder in Directory.EnumerateDirectories(root, Prefix + "*"))
        {
            var pidText = Path.GetFileName(folder)[Prefix.Length..].Split('-')[0];
            if (int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid != Environment.ProcessId && !IsRunning(pid))
            {
                Remove(folder);
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
