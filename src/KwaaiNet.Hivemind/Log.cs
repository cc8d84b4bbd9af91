// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Identity;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Hivemind;

internal static partial class Log
{
    private const int Base = 1000;

    [LoggerMessage(EventId = Base + 1, EventName = nameof(StorageSelected), Level = LogLevel.Information,
        Message = "DHT records are kept in {Storage}")]
    public static partial void StorageSelected(this ILogger logger, string storage);

    [LoggerMessage(EventId = Base + 2, EventName = nameof(StorageUnavailable), Level = LogLevel.Error,
        Message = "DHT record storage is unavailable: {Reason}")]
    public static partial void StorageUnavailable(this ILogger logger, string reason, Exception exception);
    [LoggerMessage(EventId = Base + 10, EventName = nameof(BackgroundWorkFailed), Level = LogLevel.Warning,
        Message = "DHT background {Work} failed")]
    public static partial void BackgroundWorkFailed(this ILogger logger, string work, Exception exception);

    [LoggerMessage(EventId = Base + 11, EventName = nameof(PingValidationFailed), Level = LogLevel.Warning,
        Message = "DHT peer {Peer} failed ping validation: {Reason}")]
    public static partial void PingValidationFailed(this ILogger logger, PeerId peer, string reason);

    [LoggerMessage(EventId = Base + 12, EventName = nameof(MalformedReply), Level = LogLevel.Debug,
        Message = "DHT peer {Peer} answered {Protocol} out of shape: {Reason}")]
    public static partial void MalformedReply(this ILogger logger, PeerId peer, string protocol, string reason);

    [LoggerMessage(EventId = Base + 13, EventName = nameof(CallFailed), Level = LogLevel.Debug,
        Message = "DHT call {Protocol} to {Peer} failed: {Reason}")]
    public static partial void CallFailed(this ILogger logger, PeerId peer, string protocol, string reason);

    [LoggerMessage(EventId = Base + 14, EventName = nameof(RequestRejected), Level = LogLevel.Debug,
        Message = "DHT request {Protocol} from {Peer} rejected: {Reason}")]
    public static partial void RequestRejected(this ILogger logger, PeerId peer, string protocol, string reason);

    [LoggerMessage(EventId = Base + 15, EventName = nameof(RequestFailed), Level = LogLevel.Warning,
        Message = "DHT request {Protocol} from {Peer} failed")]
    public static partial void RequestFailed(this ILogger logger, PeerId peer, string protocol, Exception exception);

    [LoggerMessage(EventId = Base + 16, EventName = nameof(NodeStarted), Level = LogLevel.Information,
        Message = "DHT node {NodeId} serving {Protocols} via {Transport}")]
    public static partial void NodeStarted(this ILogger logger, string nodeId, string protocols, string transport);

    [LoggerMessage(EventId = Base + 17, EventName = nameof(Bootstrapped), Level = LogLevel.Information,
        Message = "DHT bootstrap: {Answered} of {Peers} initial peers answered; routing table holds {Size} nodes")]
    public static partial void Bootstrapped(this ILogger logger, int answered, int peers, int size);

    [LoggerMessage(EventId = Base + 18, EventName = nameof(BootstrapUnanswered), Level = LogLevel.Warning,
        Message = "DHT bootstrap: none of the {Peers} initial peers answered; retrying in {Delay}, with backoff; the node keeps serving")]
    public static partial void BootstrapUnanswered(this ILogger logger, int peers, TimeSpan delay);

    [LoggerMessage(EventId = Base + 21, EventName = nameof(BootstrapStillUnanswered), Level = LogLevel.Debug,
        Message = "DHT bootstrap: still none of the {Peers} initial peers answered; retrying in {Delay}")]
    public static partial void BootstrapStillUnanswered(this ILogger logger, int peers, TimeSpan delay);

    [LoggerMessage(EventId = Base + 19, EventName = nameof(MaintenanceFailed), Level = LogLevel.Warning,
        Message = "DHT maintenance ({Task}) failed")]
    public static partial void MaintenanceFailed(this ILogger logger, string task, Exception exception);

    [LoggerMessage(EventId = Base + 20, EventName = nameof(RecordsPurged), Level = LogLevel.Debug,
        Message = "DHT purged {Count} expired records")]
    public static partial void RecordsPurged(this ILogger logger, int count);
}
