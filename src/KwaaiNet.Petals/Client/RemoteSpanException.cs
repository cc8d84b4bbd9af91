// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Client;

/// <summary>A server failed a span session: it answered with an error, broke the protocol, closed or timed out.</summary>
public sealed class RemoteSpanException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public RemoteSpanException()
        : base("The server failed the span session.")
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    public RemoteSpanException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and its cause.</summary>
    public RemoteSpanException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
