// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Libp2p.Yamux;

/// <summary>The yamux frame types (research §2.6, yamux spec "Type" field).</summary>
internal enum YamuxFrameType : byte
{
    /// <summary>Data; the header's Length is the number of payload bytes that follow.</summary>
    Data = 0,

    /// <summary>Window update; the Length is the window delta.</summary>
    WindowUpdate = 1,

    /// <summary>Ping on stream 0; the Length is an opaque value echoed back.</summary>
    Ping = 2,

    /// <summary>Go away on stream 0; the Length is a <see cref="YamuxGoAwayCode"/>.</summary>
    GoAway = 3,
}
