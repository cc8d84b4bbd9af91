// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Hivemind.Streams;

/// <summary>A hivemind stream carried bytes that are not a frame: an unknown marker or a length above the limit.</summary>
public sealed class HivemindFrameException : FormatException
{
    /// <summary>Creates the exception with no message.</summary>
    public HivemindFrameException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What was wrong with the frame.</param>
    public HivemindFrameException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What was wrong with the frame.</param>
    /// <param name="innerException">The cause.</param>
    public HivemindFrameException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
