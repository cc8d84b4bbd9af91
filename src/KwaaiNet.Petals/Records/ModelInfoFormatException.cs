// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Records;

/// <summary>A <c>_petals.models</c> value that does not follow docs/records.md §4; the message names the field and what is wrong.</summary>
public sealed class ModelInfoFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public ModelInfoFormatException()
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    public ModelInfoFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and its cause.</summary>
    public ModelInfoFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
