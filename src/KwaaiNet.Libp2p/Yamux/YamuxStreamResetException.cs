// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Libp2p.Yamux;

/// <summary>A yamux stream was aborted (RST) by either side; its buffered data is gone.</summary>
public sealed class YamuxStreamResetException : IOException
{
    /// <summary>Creates the exception with a default message.</summary>
    public YamuxStreamResetException()
        : base("The yamux stream was reset.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public YamuxStreamResetException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public YamuxStreamResetException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
