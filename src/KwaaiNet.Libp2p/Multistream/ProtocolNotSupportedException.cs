// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Libp2p.Multistream;

/// <summary>The remote peer answered "na" to every protocol we proposed.</summary>
public sealed class ProtocolNotSupportedException : Libp2pProtocolException
{
    /// <summary>Creates the exception for the protocols that were refused.</summary>
    public ProtocolNotSupportedException(IReadOnlyList<string> protocols)
        : base("The peer supports none of: " + string.Join(", ", protocols ?? []) + ".")
    {
        Protocols = protocols ?? [];
    }

    /// <summary>Creates the exception with a default message.</summary>
    public ProtocolNotSupportedException()
        : this([])
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ProtocolNotSupportedException(string message)
        : base(message)
    {
        Protocols = [];
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ProtocolNotSupportedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Protocols = [];
    }

    /// <summary>The protocols the peer refused.</summary>
    public IReadOnlyList<string> Protocols { get; }
}
