// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Libp2p.Yamux;

/// <summary>
/// The yamux session no longer opens or accepts streams: it is closed (the message carries
/// <see cref="YamuxSession.CloseReason"/>), or a GoAway was sent or received.
/// </summary>
public sealed class YamuxSessionClosedException : IOException
{
    /// <summary>Creates the exception with a default message.</summary>
    public YamuxSessionClosedException()
        : base("The yamux session is closed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public YamuxSessionClosedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public YamuxSessionClosedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
