// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Libp2p;

/// <summary>
/// A remote peer broke a libp2p protocol (a malformed frame, an oversize message, a bad signature, an unexpected
/// peer id). The message is the reason that ends the stream or connection, fit to log as is.
/// </summary>
public class Libp2pProtocolException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public Libp2pProtocolException()
        : base("The remote peer broke the libp2p protocol.")
    {
    }

    /// <summary>Creates the exception with the reason.</summary>
    public Libp2pProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the reason and its cause.</summary>
    public Libp2pProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
