// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Gateway;

/// <summary>
/// A call to a remote peer through the gateway failed: the peer could not be dialled, did not speak the protocol,
/// broke it, or its handler answered with an error (<see cref="RemoteError"/>, the text a hivemind handler sends in
/// p2pd's error arm, e.g. <c>KeyError('m.0')</c>).
/// </summary>
public sealed class PeerCallException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public PeerCallException()
        : base("The call to the peer failed.")
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    public PeerCallException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and its cause.</summary>
    public PeerCallException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a remote handler that answered with <paramref name="remoteError"/>.</summary>
    public PeerCallException(string message, string? remoteError, Exception? innerException)
        : base(message, innerException)
    {
        RemoteError = remoteError;
    }

    /// <summary>The remote handler's error text when it answered with one; null when the call failed before that.</summary>
    public string? RemoteError { get; }
}
