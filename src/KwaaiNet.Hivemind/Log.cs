// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

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
}
