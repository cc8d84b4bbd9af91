// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics.CodeAnalysis;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Yamux;

namespace KwaaiNet.Libp2p.Network;

/// <summary>A multiplexed stream to a peer on which a protocol has been agreed.</summary>
[SuppressMessage("Naming", "CA1711", Justification = "libp2p calls a multiplexed channel a stream; the bytes are in Stream.")]
public sealed class PeerStream : IAsyncDisposable
{
    private readonly YamuxStream _stream;

    internal PeerStream(YamuxStream stream, string protocol, Connection connection)
    {
        _stream = stream;
        Protocol = protocol;
        Connection = connection;
    }

    /// <summary>The stream's bytes, both ways.</summary>
    public Stream Stream => _stream;

    /// <summary>The agreed protocol id.</summary>
    public string Protocol { get; }

    /// <summary>The connection the stream runs on.</summary>
    public Connection Connection { get; }

    /// <summary>The authenticated remote peer.</summary>
    public PeerId RemotePeer => Connection.RemotePeer;

    /// <summary>Half-closes our side: the peer reads the end of the stream, and we can still read its reply.</summary>
    public ValueTask CompleteWritesAsync() => _stream.CompleteWritesAsync();

    /// <summary>Aborts the stream both ways.</summary>
    public void Reset() => _stream.Reset();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}
