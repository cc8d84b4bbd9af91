// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Logging;

namespace KwaaiNet.Petals;

/// <summary>Model and span selection's log messages (event ids 4201–4249 of the Petals range).</summary>
internal static partial class Log
{
    private const int SelectionBase = 4200;

    [LoggerMessage(EventId = SelectionBase + 1, EventName = nameof(SpanSelectionOff), Level = LogLevel.Information,
        Message = "start_block is set to {StartBlock}: the node serves the configured span and sends no span of its own choice")]
    public static partial void SpanSelectionOff(this ILogger logger, int startBlock);

    [LoggerMessage(EventId = SelectionBase + 2, EventName = nameof(SpanSelected), Level = LogLevel.Information,
        Message = "Serving {Model} blocks [{StartBlock}, {EndBlock}): {Reason}")]
    public static partial void SpanSelected(this ILogger logger, string model, int startBlock, int endBlock, string reason);

    [LoggerMessage(EventId = SelectionBase + 3, EventName = nameof(SelectionSettling), Level = LogLevel.Information,
        Message = "Span selection waits {Seconds:0} s for workers to report a span they resume")]
    public static partial void SelectionSettling(this ILogger logger, double seconds);

    [LoggerMessage(EventId = SelectionBase + 4, EventName = nameof(SelectionFailed), Level = LogLevel.Warning,
        Message = "Span selection failed; it runs again after the next map update")]
    public static partial void SelectionFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = SelectionBase + 5, EventName = nameof(LocalModelsUnreadable), Level = LogLevel.Warning,
        Message = "Could not list the local models in {Place}; model selection goes on without them")]
    public static partial void LocalModelsUnreadable(this ILogger logger, string place, Exception exception);

    [LoggerMessage(EventId = SelectionBase + 7, EventName = nameof(SelectionIdentityUnknown), Level = LogLevel.Information,
        Message = "Span selection waits for the node's peer id, without which its own rows would count as another server's: {Error}")]
    public static partial void SelectionIdentityUnknown(this ILogger logger, string error);

    [LoggerMessage(EventId = SelectionBase + 6, EventName = nameof(ServeSpanPublishFailed), Level = LogLevel.Warning,
        Message = "Could not publish the ServeSpan command on the bus; it is sent again after the next map update")]
    public static partial void ServeSpanPublishFailed(this ILogger logger, Exception exception);
}
