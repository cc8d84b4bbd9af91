// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Libp2p.Yamux;

/// <summary>The yamux header flags (research §2.6). SYN/ACK/FIN/RST may ride on Data or WindowUpdate frames.</summary>
[Flags]
internal enum YamuxFlags : ushort
{
    None = 0,

    /// <summary>Opens a stream, or marks an outbound ping.</summary>
    Syn = 0x1,

    /// <summary>Accepts a stream, or marks a ping reply.</summary>
    Ack = 0x2,

    /// <summary>Half-closes the sender's side of a stream.</summary>
    Fin = 0x4,

    /// <summary>Aborts a stream.</summary>
    Rst = 0x8,
}
