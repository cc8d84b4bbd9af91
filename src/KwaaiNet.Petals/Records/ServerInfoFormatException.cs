// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Records;

/// <summary>A ServerInfo value that does not follow docs/records.md §3; the message names the field and what is wrong.</summary>
public sealed class ServerInfoFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public ServerInfoFormatException()
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    public ServerInfoFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and its cause.</summary>
    public ServerInfoFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
