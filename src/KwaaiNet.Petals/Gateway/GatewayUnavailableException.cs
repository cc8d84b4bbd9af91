// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Gateway;

/// <summary>The p2p-gateway could not answer now (not up yet, or down); try again later.</summary>
public sealed class GatewayUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public GatewayUnavailableException()
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    public GatewayUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and its cause.</summary>
    public GatewayUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
