// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Sessions;

/// <summary>A span session refused an open or a step; <see cref="Error"/> says why.</summary>
public sealed class InferenceSessionException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">Why the operation was refused.</param>
    /// <param name="message">The reason, for people.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public InferenceSessionException(InferenceSessionError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>Why the operation was refused.</summary>
    public InferenceSessionError Error { get; }
}
