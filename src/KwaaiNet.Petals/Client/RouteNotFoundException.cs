// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Client;

/// <summary>No chain of online servers covers the blocks asked for.</summary>
public sealed class RouteNotFoundException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public RouteNotFoundException()
        : base("No online servers cover the blocks asked for.")
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    public RouteNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and its cause.</summary>
    public RouteNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
