// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Libp2p.Network;

/// <summary>No connection to the peer could be established; the message lists each address tried and why it failed.</summary>
public sealed class DialException : IOException
{
    /// <summary>Creates the exception with a default message.</summary>
    public DialException()
        : base("The peer could not be dialled.")
    {
    }

    /// <summary>Creates the exception with the reason.</summary>
    public DialException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the reason and its cause.</summary>
    public DialException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
