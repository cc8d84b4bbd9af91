// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Logging;

namespace KwaaiNet.Carbon;

internal static partial class Log
{
    private const int Base = 5000;

    [LoggerMessage(EventId = Base + 1, EventName = nameof(Unmeasured), Level = LogLevel.Warning,
        Message = "Energy is unmeasured on this node: {Reason}")]
    public static partial void Unmeasured(this ILogger logger, string reason);

    [LoggerMessage(EventId = Base + 2, EventName = nameof(SampleOverran), Level = LogLevel.Warning,
        Message = "Taking a carbon sample took {ElapsedMs} ms, longer than the {PeriodMs} ms sample period")]
    public static partial void SampleOverran(this ILogger logger, double elapsedMs, double periodMs);

    [LoggerMessage(EventId = Base + 3, EventName = nameof(PublishFailed), Level = LogLevel.Warning,
        Message = "Could not publish the carbon sample; the next period tries again")]
    public static partial void PublishFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = Base + 4, EventName = nameof(Measuring), Level = LogLevel.Information,
        Message = "Measuring energy from {Source} every {Period}")]
    public static partial void Measuring(this ILogger logger, string source, TimeSpan period);
}
