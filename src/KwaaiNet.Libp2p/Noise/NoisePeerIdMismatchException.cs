// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Identity;

namespace KwaaiNet.Libp2p.Noise;

/// <summary>
/// The peer at the dialed address authenticated as a different peer id than the one dialed (libp2p specs
/// noise/README.md §Static Key Authentication: the dialer must check the authenticated id against the expected one).
/// </summary>
public sealed class NoisePeerIdMismatchException : Libp2pProtocolException
{
    /// <summary>Creates the exception with a default message.</summary>
    public NoisePeerIdMismatchException()
        : base("The remote peer authenticated with a different peer id than the one dialed.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public NoisePeerIdMismatchException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public NoisePeerIdMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception naming the dialed and the authenticated peer ids.</summary>
    public NoisePeerIdMismatchException(PeerId expected, PeerId actual)
        : base("Dialed peer " + expected + " but the remote authenticated as " + actual + ".")
    {
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The peer id that was dialed.</summary>
    public PeerId? Expected { get; }

    /// <summary>The peer id the remote proved it holds the key of.</summary>
    public PeerId? Actual { get; }
}
