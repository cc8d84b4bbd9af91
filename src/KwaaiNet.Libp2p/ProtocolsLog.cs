// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Identity;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Libp2p;

/// <summary>Log messages of identify, kad and unary calls (3400-3499).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3401, EventName = nameof(PeerIdentified), Level = LogLevel.Debug,
        Message = "Identified {PeerId}: agent {AgentVersion}, {ProtocolCount} protocols, {AddressCount} listen addresses")]
    public static partial void PeerIdentified(this ILogger logger, PeerId peerId, string agentVersion, int protocolCount, int addressCount);

    [LoggerMessage(EventId = 3402, EventName = nameof(IdentifyFailed), Level = LogLevel.Information, Message = "Identifying {PeerId} failed: {Reason}")]
    public static partial void IdentifyFailed(this ILogger logger, PeerId peerId, string reason);

    [LoggerMessage(EventId = 3403, EventName = nameof(IdentifyPushFailed), Level = LogLevel.Debug, Message = "Identify push to {PeerId} failed: {Reason}")]
    public static partial void IdentifyPushFailed(this ILogger logger, PeerId peerId, string reason);

    [LoggerMessage(EventId = 3410, EventName = nameof(KadQueryFailed), Level = LogLevel.Debug, Message = "Kad FIND_NODE to {PeerId} failed: {Reason}")]
    public static partial void KadQueryFailed(this ILogger logger, PeerId peerId, string reason);

    [LoggerMessage(EventId = 3420, EventName = nameof(UnaryRejected), Level = LogLevel.Warning,
        Message = "Unary call from {PeerId} on {Protocol} rejected: {Reason}")]
    public static partial void UnaryRejected(this ILogger logger, PeerId peerId, string protocol, string reason);
}
