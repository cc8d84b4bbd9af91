// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Serving;

/// <summary>The kinds of <see cref="InboundItem"/>.</summary>
internal enum InboundItemKind
{
    /// <summary>A request frame (or a pushed request).</summary>
    Request,

    /// <summary>The client's <c>0x01</c> frame: its requests are done.</summary>
    EndOfInput,

    /// <summary>The client closed or reset the stream without ending its input: the session is cancelled.</summary>
    Closed,

    /// <summary>An unreadable frame: a bad marker, a length over the limit, a payload that does not parse.</summary>
    Error,
}
