// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Logging;

namespace KwaaiNet.Petals;

/// <summary>Log messages of the network's OpenAI-compatible backend (4540-4549, in the client's range).</summary>
internal static partial class Log
{
    private const int TextGenerationBase = 4540;

    [LoggerMessage(EventId = TextGenerationBase + 1, EventName = nameof(NetworkModelListed), Level = LogLevel.Information,
        Message = "OpenAI-compatible API lists the network's model {ModelId} ({DhtPrefix}): {State}")]
    public static partial void NetworkModelListed(this ILogger logger, string modelId, string dhtPrefix, string state);

    [LoggerMessage(EventId = TextGenerationBase + 2, EventName = nameof(NetworkModelNotListed), Level = LogLevel.Warning,
        Message = "OpenAI-compatible API does not list the network's model {ModelId}: {Reason}")]
    public static partial void NetworkModelNotListed(this ILogger logger, string modelId, string reason);
}
