// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Logging;

namespace KwaaiNet.Petals;

/// <summary>Petals server protocol's log messages (event ids 4701–4749 of the Petals range).</summary>
internal static partial class Log
{
    private const int ServerBase = 4700;

    [LoggerMessage(EventId = ServerBase + 1, EventName = nameof(PetalsHandlersRegistered), Level = LogLevel.Information,
        Message = "Petals' TransformerConnectionHandler is served {Where}")]
    public static partial void PetalsHandlersRegistered(this ILogger logger, string where);

    [LoggerMessage(EventId = ServerBase + 2, EventName = nameof(SessionOpened), Level = LogLevel.Debug,
        Message = "Inference session {SessionId} opened for {MaxLength} tokens on {Uids}")]
    public static partial void SessionOpened(this ILogger logger, string sessionId, int maxLength, string uids);

    [LoggerMessage(EventId = ServerBase + 3, EventName = nameof(SessionClosed), Level = LogLevel.Debug,
        Message = "Inference session {SessionId} closed after {Steps} steps: {Reason}")]
    public static partial void SessionClosed(this ILogger logger, string sessionId, long steps, string reason);

    [LoggerMessage(EventId = ServerBase + 4, EventName = nameof(RequestRefused), Level = LogLevel.Information,
        Message = "Refused a {Protocol} request: {Reason}")]
    public static partial void RequestRefused(this ILogger logger, string protocol, string reason);

    [LoggerMessage(EventId = ServerBase + 5, EventName = nameof(HandlerFailed), Level = LogLevel.Error,
        Message = "The {Protocol} handler failed")]
    public static partial void HandlerFailed(this ILogger logger, Exception exception, string protocol);

    [LoggerMessage(EventId = ServerBase + 6, EventName = nameof(StepSkipped), Level = LogLevel.Debug,
        Message = "Inference session {SessionId} skipped step {StepId}, processed already")]
    public static partial void StepSkipped(this ILogger logger, string sessionId, string stepId);

    [LoggerMessage(EventId = ServerBase + 7, EventName = nameof(PushDropped), Level = LogLevel.Debug,
        Message = "A push into inference session {SessionId} was dropped: its queue is full")]
    public static partial void PushDropped(this ILogger logger, string sessionId);

    [LoggerMessage(EventId = ServerBase + 8, EventName = nameof(StreamLost), Level = LogLevel.Debug,
        Message = "A {Protocol} stream was lost: {Reason}")]
    public static partial void StreamLost(this ILogger logger, string protocol, string reason);
}
