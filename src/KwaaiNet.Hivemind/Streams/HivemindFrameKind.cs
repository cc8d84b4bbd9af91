// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Hivemind.Streams;

/// <summary>The marker byte that opens a hivemind stream frame.</summary>
public enum HivemindFrameKind : byte
{
    /// <summary><c>0x00</c>: the payload is one serialized message of the handler's request or response type.</summary>
    Message = 0x00,

    /// <summary><c>0x01</c>: the payload is a serialized <c>RPCError</c>; one with no field set is END_OF_STREAM.</summary>
    Error = 0x01,
}
