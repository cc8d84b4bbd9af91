// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Hivemind.Values;

/// <summary>
/// Bounds on what a decoder accepts from a peer, so that a hostile value costs at most a bounded amount of memory and
/// work. Hivemind itself sets none of these; the defaults are far above anything Petals or KwaaiNet writes (one entry
/// per server, a ServerInfo value of a few hundred bytes, a 52-character peer id as the subkey).
/// </summary>
/// <param name="MaxEntries">The most entries a dictionary value may have. Default 4096.</param>
/// <param name="MaxSubkeyBytes">The most bytes a subkey's msgpack encoding may have, as it appears on the wire. Default 256.</param>
/// <param name="MaxValueBytes">The most bytes one dictionary entry's value may have. Default 65536.</param>
/// <param name="MaxDepth">How deeply arrays, maps and tuples may nest inside one object (a scalar is depth 1). Default 16.</param>
public sealed record DhtValueLimits(int MaxEntries = 4096, int MaxSubkeyBytes = 256, int MaxValueBytes = 65536, int MaxDepth = 16)
{
    /// <summary>The default limits.</summary>
    public static DhtValueLimits Default { get; } = new();

    /// <summary>Throws when a limit is not positive.</summary>
    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxEntries);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxSubkeyBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxValueBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxDepth);
    }
}
