// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Hivemind.Values;

/// <summary>A DHT value, subkey or message that does not follow hivemind's encoding; the message says what is wrong.</summary>
public sealed class DhtValueFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public DhtValueFormatException()
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    public DhtValueFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and its cause.</summary>
    public DhtValueFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
