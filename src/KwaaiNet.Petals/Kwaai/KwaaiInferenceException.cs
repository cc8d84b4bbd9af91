// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Kwaai;

/// <summary>A <c>/kwaai/inference/1.0.0</c> call failed: the server answered with an error, or with bytes that are not a response.</summary>
public sealed class KwaaiInferenceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KwaaiInferenceException()
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    public KwaaiInferenceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and its cause.</summary>
    public KwaaiInferenceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The server's error text when it answered with one; null when the failure is ours (an unreadable response).</summary>
    public string? RemoteError { get; init; }
}
