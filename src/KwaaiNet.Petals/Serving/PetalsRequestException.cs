// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Serving;

/// <summary>
/// A request the server refuses, with the text and Python exception name a Petals server gives for it: stream handlers
/// send <see cref="Exception.Message"/> (Python's <c>str(e)</c>), unary handlers <see cref="Repr"/> (<c>repr(e)</c>).
/// </summary>
public sealed class PetalsRequestException : Exception
{
    /// <summary>Creates the exception as a <c>RuntimeError</c>.</summary>
    public PetalsRequestException()
        : this("RuntimeError", "The request was refused.")
    {
    }

    /// <summary>Creates the exception as a <c>RuntimeError</c>.</summary>
    /// <param name="message">The error text.</param>
    public PetalsRequestException(string message)
        : this("RuntimeError", message)
    {
    }

    /// <summary>Creates the exception as a <c>RuntimeError</c> with a cause.</summary>
    /// <param name="message">The error text.</param>
    /// <param name="innerException">The cause.</param>
    public PetalsRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
        PythonType = "RuntimeError";
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="pythonType">The Python exception a Petals server raises here (<c>ValueError</c>, <c>KeyError</c>...).</param>
    /// <param name="message">The error text.</param>
    public PetalsRequestException(string pythonType, string message)
        : base(message)
    {
        ArgumentException.ThrowIfNullOrEmpty(pythonType);
        PythonType = pythonType;
    }

    /// <summary>The Python exception name.</summary>
    public string PythonType { get; }

    /// <summary>The error as Python's <c>repr</c> writes it, which p2pd's unary error arm carries: <c>KeyError('m.0')</c>.</summary>
    public string Repr => Format(PythonType, Message);

    /// <summary>Python's <c>repr</c> of an exception with one string argument.</summary>
    internal static string Format(string pythonType, string message) =>
        pythonType + "('" + message.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "')";
}
