// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Libp2p.Identity;

/// <summary>A libp2p key, key protobuf or identity key file is malformed.</summary>
public sealed class KeyFormatException : FormatException
{
    /// <summary>Creates the exception with a default message.</summary>
    public KeyFormatException()
        : base("The libp2p key is malformed.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public KeyFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the exception that caused it.</summary>
    public KeyFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
