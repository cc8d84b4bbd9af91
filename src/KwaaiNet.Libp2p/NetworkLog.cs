// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Libp2p;

/// <summary>The host's and the connection manager's log messages (3300-3399).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3301, EventName = nameof(Listening), Level = LogLevel.Information, Message = "libp2p listening on {Address}")]
    public static partial void Listening(this ILogger logger, Multiaddr address);

    [LoggerMessage(EventId = 3302, EventName = nameof(AcceptFailed), Level = LogLevel.Warning, Message = "Accepting a TCP connection failed: {Reason}")]
    public static partial void AcceptFailed(this ILogger logger, string reason);

    [LoggerMessage(EventId = 3303, EventName = nameof(InboundRefused), Level = LogLevel.Warning,
        Message = "Refused an inbound connection from {Remote}: {Count} connections open (limit {Limit}) or too many handshakes in progress")]
    public static partial void InboundRefused(this ILogger logger, string remote, int count, int limit);

    [LoggerMessage(EventId = 3304, EventName = nameof(InboundHandshakeFailed), Level = LogLevel.Warning,
        Message = "Inbound connection from {Remote} failed its upgrade: {Reason}")]
    public static partial void InboundHandshakeFailed(this ILogger logger, string remote, string reason);

    [LoggerMessage(EventId = 3305, EventName = nameof(ConnectionOpened), Level = LogLevel.Debug, Message = "Connected to {PeerId} at {Remote} ({Direction})")]
    public static partial void ConnectionOpened(this ILogger logger, PeerId peerId, Multiaddr remote, string direction);

    [LoggerMessage(EventId = 3306, EventName = nameof(ConnectionClosed), Level = LogLevel.Debug, Message = "Connection to {PeerId} at {Remote} ended: {Reason}")]
    public static partial void ConnectionClosed(this ILogger logger, PeerId peerId, Multiaddr remote, string reason);

    [LoggerMessage(EventId = 3307, EventName = nameof(StreamEnded), Level = LogLevel.Information,
        Message = "Stream from {PeerId} on {Protocol} ended: {Reason}")]
    public static partial void StreamEnded(this ILogger logger, PeerId peerId, string protocol, string reason);

    [LoggerMessage(EventId = 3308, EventName = nameof(StreamHandlerFailed), Level = LogLevel.Error,
        Message = "The handler of {Protocol} failed on a stream from {PeerId}")]
    public static partial void StreamHandlerFailed(this ILogger logger, Exception exception, PeerId peerId, string protocol);

    [LoggerMessage(EventId = 3309, EventName = nameof(ConnectionIdle), Level = LogLevel.Debug,
        Message = "Closing the connection to {PeerId}: no streams for {Seconds} s")]
    public static partial void ConnectionIdle(this ILogger logger, PeerId peerId, double seconds);
}
