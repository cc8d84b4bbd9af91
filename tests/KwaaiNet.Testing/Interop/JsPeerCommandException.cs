// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Testing.Interop;

/// <summary>The js peer answered a command with <c>ok:false</c>.</summary>
public sealed class JsPeerCommandException : Exception
{
    public JsPeerCommandException()
    {
        Command = string.Empty;
        Error = string.Empty;
    }

    public JsPeerCommandException(string message)
        : base(message)
    {
        Command = string.Empty;
        Error = message;
    }

    public JsPeerCommandException(string message, Exception innerException)
        : base(message, innerException)
    {
        Command = string.Empty;
        Error = message;
    }

    public JsPeerCommandException(string command, string error, string stderrTail)
        : base(FormatMessage(command, error, stderrTail))
    {
        Command = command;
        Error = error;
    }

    /// <summary>The command that failed, e.g. <c>ping</c>.</summary>
    public string Command { get; }

    /// <summary>The peer's error text, without the stderr tail.</summary>
    public string Error { get; }

    private static string FormatMessage(string command, string error, string stderrTail) =>
        string.IsNullOrEmpty(stderrTail)
            ? $"js peer command '{command}' failed: {error}"
            : $"js peer command '{command}' failed: {error}{Environment.NewLine}js peer stderr (tail):{Environment.NewLine}{stderrTail}";
}
