// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Libp2p.Multiformats;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Libp2p;

/// <summary>Log messages of the gateway's libp2p node: bootstrap and inbound routing (3500-3599).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3501, EventName = nameof(BootstrapPeerInvalid), Level = LogLevel.Error,
        Message = "Bootstrap peer '{Address}' in initial_peers is not a multiaddr with /p2p/<peer id>; it is skipped")]
    public static partial void BootstrapPeerInvalid(this ILogger logger, string address);

    [LoggerMessage(EventId = 3502, EventName = nameof(BootstrapStarted), Level = LogLevel.Information, Message = "Dialing {Count} bootstrap peers")]
    public static partial void BootstrapStarted(this ILogger logger, int count);

    [LoggerMessage(EventId = 3503, EventName = nameof(BootstrapConnected), Level = LogLevel.Information, Message = "Connected to bootstrap peer {Address}")]
    public static partial void BootstrapConnected(this ILogger logger, Multiaddr address);

    [LoggerMessage(EventId = 3504, EventName = nameof(BootstrapUnreachable), Level = LogLevel.Warning,
        Message = "Bootstrap peer {Address} is unreachable ({Reason}); retrying with backoff, the node keeps serving")]
    public static partial void BootstrapUnreachable(this ILogger logger, Multiaddr address, string reason);

    [LoggerMessage(EventId = 3505, EventName = nameof(BootstrapStillUnreachable), Level = LogLevel.Debug,
        Message = "Bootstrap peer {Address} still unreachable: {Reason}")]
    public static partial void BootstrapStillUnreachable(this ILogger logger, Multiaddr address, string reason);

    [LoggerMessage(EventId = 3506, EventName = nameof(BootstrapLookupFailed), Level = LogLevel.Debug, Message = "Bootstrap lookup of our own id failed: {Reason}")]
    public static partial void BootstrapLookupFailed(this ILogger logger, string reason);

    [LoggerMessage(EventId = 3510, EventName = nameof(InboundRouteRegistered), Level = LogLevel.Information,
        Message = "Inbound {Protocol} ({Kind}) is served by {Address}")]
    public static partial void InboundRouteRegistered(this ILogger logger, string protocol, InboundKind kind, Uri address);

    [LoggerMessage(EventId = 3511, EventName = nameof(InboundServiceFailed), Level = LogLevel.Warning,
        Message = "The service for inbound {Protocol} at {Address} failed: {Reason}")]
    public static partial void InboundServiceFailed(this ILogger logger, string protocol, Uri address, string reason);

    [LoggerMessage(EventId = 3520, EventName = nameof(PoolWorkerGone), Level = LogLevel.Warning,
        Message = "Worker {WorkerId} is gone; sessions of {PeerId} move to {OtherWorkerId}")]
    public static partial void PoolWorkerGone(this ILogger logger, string workerId, string peerId, string otherWorkerId);

    [LoggerMessage(EventId = 3521, EventName = nameof(PoolEmpty), Level = LogLevel.Warning,
        Message = "No live worker in pool {Pool} for inbound {Protocol} from {PeerId}")]
    public static partial void PoolEmpty(this ILogger logger, string pool, string protocol, string peerId);

    [LoggerMessage(EventId = 3522, EventName = nameof(PoolEntryInvalid), Level = LogLevel.Warning,
        Message = "Pool {Pool} holds an entry for worker {WorkerId} that is not a valid registration; it is skipped")]
    public static partial void PoolEntryInvalid(this ILogger logger, string pool, string workerId);

    [LoggerMessage(EventId = 3523, EventName = nameof(PoolRegistryUnavailable), Level = LogLevel.Warning,
        Message = "The registry of pool {Pool} (Redis) did not answer for inbound {Protocol}: {Reason}")]
    public static partial void PoolRegistryUnavailable(this ILogger logger, string pool, string protocol, string reason);

    [LoggerMessage(EventId = 3524, EventName = nameof(PoolWorkerUnreachable), Level = LogLevel.Warning,
        Message = "Worker {WorkerId} of pool {Pool} at {Endpoint} did not answer: {Reason}")]
    public static partial void PoolWorkerUnreachable(this ILogger logger, string workerId, string pool, Uri endpoint, string reason);
}
