// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Testing.Interop;

/// <summary>How <see cref="JsPeer.StartAsync"/> starts the js-libp2p peer (<c>tests/interop/peer.mjs</c>).</summary>
public sealed class JsPeerOptions
{
    /// <summary>
    /// 32 bytes as 64 hex digits: an Ed25519 identity derived from this seed (<c>--seed</c>), so the peer id is
    /// known in advance. Null (the default) gives a random Ed25519 identity unless <see cref="Rsa"/> is set.
    /// </summary>
    public string? Seed { get; init; }

    /// <summary>An RSA-2048 identity (<c>--rsa</c>, a <c>Qm…</c> peer id), like a hivemind peer. Default false.</summary>
    public bool Rsa { get; init; }

    /// <summary>Listen multiaddrs (<c>--listen</c>); empty (the default) means <c>/ip4/127.0.0.1/tcp/0</c>.</summary>
    public IReadOnlyList<string> Listen { get; init; } = [];

    /// <summary>Whether kad-dht (<c>/ipfs/kad/1.0.0</c>, server mode) runs. Default true; false passes <c>--no-kad</c>.</summary>
    public bool Kad { get; init; } = true;

    /// <summary>How long the peer may take to print its ready line. Default 30 s (an RSA key takes about a second).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The default time a command may take (the peer aborts its work at this point). Default 30 s.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The Node.js executable. Default <c>node</c> from PATH (Node 20.19 or later).</summary>
    public string NodeExecutable { get; init; } = "node";
}
