// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Gguf;

/// <summary>A GGUF file (or a metadata value in it) breaks the format or one of the reader's limits.</summary>
public sealed class GgufFormatException : FormatException
{
    /// <summary>Creates the exception with no message.</summary>
    public GgufFormatException()
    {
    }

    /// <summary>Creates the exception with a message naming the field and offset.</summary>
    public GgufFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the cause.</summary>
    public GgufFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
