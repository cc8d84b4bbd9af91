// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Client;

/// <summary>A distributed step failed after every retry: the servers of some blocks kept failing, or none could be found.</summary>
public sealed class DistributedInferenceException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public DistributedInferenceException()
        : base("The distributed inference step failed after every retry.")
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    public DistributedInferenceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and the last failure.</summary>
    public DistributedInferenceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
