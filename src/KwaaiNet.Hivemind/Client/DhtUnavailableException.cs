// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Hivemind.Client;

/// <summary>The DHT could not answer now (the dht service is down or starting, or its storage is); try again later.</summary>
public sealed class DhtUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DhtUnavailableException()
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    public DhtUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and its cause.</summary>
    public DhtUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
