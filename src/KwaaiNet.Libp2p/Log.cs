// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Logging;

namespace KwaaiNet.Libp2p;

internal static partial class Log
{
    private const int Base = 3000;

    [LoggerMessage(EventId = Base + 1, EventName = nameof(IdentityLoaded), Level = LogLevel.Information,
        Message = "Node identity {PeerId} loaded from {KeyPath}")]
    public static partial void IdentityLoaded(this ILogger logger, string peerId, string keyPath);

    [LoggerMessage(EventId = Base + 2, EventName = nameof(IdentityCreated), Level = LogLevel.Information,
        Message = "Node identity {PeerId} generated and saved to {KeyPath}; keep this file to keep the node's peer id")]
    public static partial void IdentityCreated(this ILogger logger, string peerId, string keyPath);

    [LoggerMessage(EventId = Base + 3, EventName = nameof(BackendUnavailable), Level = LogLevel.Warning,
        Message = "Public request {Path} could not reach {Backend}: {ForwarderError}")]
    public static partial void BackendUnavailable(this ILogger logger, string path, string backend, string forwarderError);
}
