// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.AppHost.Infrastructure;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.AppHost;

internal static partial class Log
{
    private const int Base = 9000;

    [LoggerMessage(EventId = Base + 1, EventName = nameof(InfraChosen), Level = LogLevel.Information,
        Message = "Infrastructure mode {Mode}: {Reason}")]
    public static partial void InfraChosen(this ILogger logger, InfraMode mode, string reason);
}
