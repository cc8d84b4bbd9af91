// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Logging;

namespace KwaaiNet.Petals;

/// <summary>Log messages of the distributed client (4500-4549).</summary>
internal static partial class Log
{
    private const int ClientBase = 4500;

    [LoggerMessage(EventId = ClientBase + 1, EventName = nameof(RouteChosen), Level = LogLevel.Information,
        Message = "Route for blocks [{Start}, {End}) of {DhtPrefix}: {Route}")]
    public static partial void RouteChosen(this ILogger logger, string dhtPrefix, int start, int end, string route);

    [LoggerMessage(EventId = ClientBase + 2, EventName = nameof(Rerouting), Level = LogLevel.Warning,
        Message = "Re-routing blocks [{Start}, {End}) away from {PeerId}: {Reason}; new route {Route}")]
    public static partial void Rerouting(this ILogger logger, int start, int end, string peerId, string reason, string route);

    [LoggerMessage(EventId = ClientBase + 3, EventName = nameof(RouteFailed), Level = LogLevel.Warning,
        Message = "No route for blocks [{Start}, {End}) of {DhtPrefix}: {Reason}")]
    public static partial void RouteFailed(this ILogger logger, string dhtPrefix, int start, int end, string reason);

    [LoggerMessage(EventId = ClientBase + 4, EventName = nameof(PingFailed), Level = LogLevel.Debug, Message = "Ping of {PeerId} failed: {Reason}")]
    public static partial void PingFailed(this ILogger logger, string peerId, string reason);

    [LoggerMessage(EventId = ClientBase + 5, EventName = nameof(ServerRecordSkipped), Level = LogLevel.Debug,
        Message = "Skipped a server entry of {DhtPrefix}.{Block} ({Subkey}): {Reason}")]
    public static partial void ServerRecordSkipped(this ILogger logger, string dhtPrefix, int block, string subkey, string reason);

    [LoggerMessage(EventId = ClientBase + 6, EventName = nameof(ClientModelLoaded), Level = LogLevel.Information,
        Message = "Client model loaded from {Path}: {Blocks} blocks, hidden size {HiddenSize}, vocabulary {VocabSize}; dht prefix {DhtPrefix}, protocol {Protocol}")]
    public static partial void ClientModelLoaded(this ILogger logger, string path, int blocks, int hiddenSize, int vocabSize, string dhtPrefix, Client.SpanProtocol protocol);
}
