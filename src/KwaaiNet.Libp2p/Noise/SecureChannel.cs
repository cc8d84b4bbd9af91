// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Identity;

namespace KwaaiNet.Libp2p.Noise;

/// <summary>
/// An authenticated, encrypted connection after the Noise handshake: the duplex <see cref="Stream"/> to run the
/// muxer on, and the remote's identity key and peer id, which the handshake proved.
/// </summary>
public sealed class SecureChannel : IAsyncDisposable
{
    private readonly NoiseStream _stream;

    internal SecureChannel(NoiseStream stream, PublicKey remotePublicKey, PeerId remotePeerId)
    {
        _stream = stream;
        RemotePublicKey = remotePublicKey;
        RemotePeerId = remotePeerId;
    }

    /// <summary>The encrypted transport (a <see cref="NoiseStream"/>); disposing it closes the connection.</summary>
    public Stream Stream => _stream;

    /// <summary>The remote's libp2p identity key, whose signature over its Noise static key was verified.</summary>
    public PublicKey RemotePublicKey { get; }

    /// <summary>The remote's peer id, derived from <see cref="RemotePublicKey"/>.</summary>
    public PeerId RemotePeerId { get; }

    /// <summary>Closes the encrypted stream and the transport under it.</summary>
    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}
