// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Logging;

namespace KwaaiNet.Petals;

/// <summary>KwaaiNet's <c>/kwaai/inference/1.0.0</c> log messages (event ids 4801–4849 of the Petals range).</summary>
internal static partial class Log
{
    private const int KwaaiBase = 4800;

    [LoggerMessage(EventId = KwaaiBase + 1, EventName = nameof(KwaaiInferenceRegistered), Level = LogLevel.Information,
        Message = "Serving {Protocol} on the in-process libp2p node")]
    public static partial void KwaaiInferenceRegistered(this ILogger logger, string protocol);

    [LoggerMessage(EventId = KwaaiBase + 2, EventName = nameof(KwaaiInferenceNotRegistered), Level = LogLevel.Information,
        Message = "No libp2p node in this process: {Protocol} is served when the gateway routes it to this service's inbound handler")]
    public static partial void KwaaiInferenceNotRegistered(this ILogger logger, string protocol);

    [LoggerMessage(EventId = KwaaiBase + 3, EventName = nameof(KwaaiRequestRefused), Level = LogLevel.Information,
        Message = "Refused a {Protocol} request from {PeerId} (session {SessionId}): {Reason}")]
    public static partial void KwaaiRequestRefused(this ILogger logger, string protocol, string peerId, ulong sessionId, string reason);

    [LoggerMessage(EventId = KwaaiBase + 4, EventName = nameof(KwaaiSessionOpened), Level = LogLevel.Debug,
        Message = "Opened session {SessionId} of {PeerId} for up to {MaxLength} tokens")]
    public static partial void KwaaiSessionOpened(this ILogger logger, ulong sessionId, string peerId, int maxLength);

    [LoggerMessage(EventId = KwaaiBase + 5, EventName = nameof(KwaaiSessionsClosed), Level = LogLevel.Debug,
        Message = "Closed {Count} sessions (idle for {IdleTimeout}, or opened on a span the worker no longer serves)")]
    public static partial void KwaaiSessionsClosed(this ILogger logger, int count, TimeSpan idleTimeout);

    [LoggerMessage(EventId = KwaaiBase + 6, EventName = nameof(KwaaiCallRetried), Level = LogLevel.Warning,
        Message = "Transient error calling {Protocol} on {PeerId} (attempt {Attempt}); retrying in {DelayMs} ms")]
    public static partial void KwaaiCallRetried(this ILogger logger, string protocol, string peerId, int attempt, double delayMs, Exception exception);
}
