// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Logging;

namespace KwaaiNet.Libp2p;

internal static partial class Log
{
    [LoggerMessage(EventId = 3200, EventName = nameof(YamuxSessionClosed), Level = LogLevel.Debug,
        Message = "Yamux session closed: {Reason}")]
    public static partial void YamuxSessionClosed(this ILogger logger, string reason);

    [LoggerMessage(EventId = 3201, EventName = nameof(YamuxProtocolViolation), Level = LogLevel.Warning,
        Message = "Yamux session closed, the remote peer broke the protocol: {Reason}")]
    public static partial void YamuxProtocolViolation(this ILogger logger, string reason);

    [LoggerMessage(EventId = 3202, EventName = nameof(YamuxSessionFailed), Level = LogLevel.Warning,
        Message = "Yamux session closed: {Reason}")]
    public static partial void YamuxSessionFailed(this ILogger logger, string reason, Exception? exception);

    [LoggerMessage(EventId = 3203, EventName = nameof(YamuxGoAwayReceived), Level = LogLevel.Debug,
        Message = "The remote peer sent GoAway with code {Code}; no new streams on this session")]
    public static partial void YamuxGoAwayReceived(this ILogger logger, uint code);

    [LoggerMessage(EventId = 3204, EventName = nameof(YamuxInboundStreamRejected), Level = LogLevel.Debug,
        Message = "Inbound yamux stream {StreamId} reset: {Reason}")]
    public static partial void YamuxInboundStreamRejected(this ILogger logger, uint streamId, string reason);

    [LoggerMessage(EventId = 3205, EventName = nameof(YamuxPingDropped), Level = LogLevel.Debug,
        Message = "Yamux ping {Opaque} not answered: too many replies are already waiting to be written")]
    public static partial void YamuxPingDropped(this ILogger logger, uint opaque);
}
