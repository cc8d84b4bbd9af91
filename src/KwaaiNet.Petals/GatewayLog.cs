// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Petals;

/// <summary>Log messages of the node gateway and the network throughput (4900-4949).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4901, EventName = nameof(ProbePeerInvalid), Level = LogLevel.Warning,
        Message = "Bandwidth probe skipped: '{PeerId}' is not a peer id")]
    public static partial void ProbePeerInvalid(this ILogger logger, string peerId);

    [LoggerMessage(EventId = 4902, EventName = nameof(ProbeFailed), Level = LogLevel.Debug, Message = "Bandwidth probe against {PeerId} failed: {Reason}")]
    public static partial void ProbeFailed(this ILogger logger, string peerId, string reason);

    [LoggerMessage(EventId = 4903, EventName = nameof(ProbeTimedOut), Level = LogLevel.Debug,
        Message = "Bandwidth probe against {PeerId} failed: no answer within {Seconds} s")]
    public static partial void ProbeTimedOut(this ILogger logger, string peerId, int seconds);

    [LoggerMessage(EventId = 4904, EventName = nameof(ProbeShort), Level = LogLevel.Debug,
        Message = "Bandwidth probe against {PeerId} failed: received {Received} of the {Expected} bytes asked for")]
    public static partial void ProbeShort(this ILogger logger, string peerId, long received, int expected);

    [LoggerMessage(EventId = 4905, EventName = nameof(ProbeRefused), Level = LogLevel.Debug,
        Message = "Bandwidth probe against {PeerId} failed at the gateway: {StatusCode} {Detail}")]
    public static partial void ProbeRefused(this ILogger logger, string peerId, StatusCode statusCode, string detail);

    [LoggerMessage(EventId = 4910, EventName = nameof(NetworkMeasured), Level = LogLevel.Information,
        Message = "Network download rate {Mbps:F1} Mbit/s, measured against {PeerId}")]
    public static partial void NetworkMeasured(this ILogger logger, double mbps, string peerId);

    [LoggerMessage(EventId = 4911, EventName = nameof(NetworkNotMeasured), Level = LogLevel.Information,
        Message = "Network download rate unknown: {Reason}; trying again in {RetryMinutes} min")]
    public static partial void NetworkNotMeasured(this ILogger logger, string reason, int retryMinutes);
}
