// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Logging;

namespace KwaaiNet.Petals;

/// <summary>The map crawler's log events (4100–4119).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4101, EventName = nameof(MapRecordSkipped), Level = LogLevel.Warning,
        Message = "Map crawl skipped an entry of {Key} (subkey {Subkey}): {Reason}")]
    public static partial void MapRecordSkipped(this ILogger logger, string key, string subkey, string reason);

    [LoggerMessage(EventId = 4102, EventName = nameof(MapCrawled), Level = LogLevel.Debug,
        Message = "Map crawled: {Models} models, {Peers} peers, {Issues} issues in {ElapsedMs} ms")]
    public static partial void MapCrawled(this ILogger logger, int models, int peers, int issues, long elapsedMs);

    [LoggerMessage(EventId = 4103, EventName = nameof(MapCrawlDhtUnavailable), Level = LogLevel.Warning,
        Message = "Map crawl could not read the DHT now; retrying in {Period}: {Reason}")]
    public static partial void MapCrawlDhtUnavailable(this ILogger logger, TimeSpan period, string reason);

    [LoggerMessage(EventId = 4104, EventName = nameof(MapCrawlFailed), Level = LogLevel.Error,
        Message = "Map crawl failed; retrying in {Period}")]
    public static partial void MapCrawlFailed(this ILogger logger, TimeSpan period, Exception exception);

    [LoggerMessage(EventId = 4105, EventName = nameof(MapCrawlOverran), Level = LogLevel.Warning,
        Message = "Map crawl took {Elapsed}, longer than its period {Period}")]
    public static partial void MapCrawlOverran(this ILogger logger, TimeSpan elapsed, TimeSpan period);

    [LoggerMessage(EventId = 4106, EventName = nameof(MapGatewayUnavailable), Level = LogLevel.Debug,
        Message = "Bootstrap states are offline: the gateway did not answer ({Reason})")]
    public static partial void MapGatewayUnavailable(this ILogger logger, string reason);
}
