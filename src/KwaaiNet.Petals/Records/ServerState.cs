// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Records;

/// <summary>
/// A server's state in its announcement: Petals' <c>ServerState</c> enum (petals <c>data_structures.py</c>), the values
/// a strict Petals reader accepts. Reading, upstream KwaaiNet's shutdown value <c>-1</c> and any unknown value are
/// <see cref="Offline"/> (docs/records.md §3).
/// </summary>
public enum ServerState
{
    /// <summary>Not serving: the record is a shutdown notice, or the state is unknown.</summary>
    Offline = 0,

    /// <summary>Announced, not yet serving (loading its span).</summary>
    Joining = 1,

    /// <summary>Serving its span.</summary>
    Online = 2,
}
