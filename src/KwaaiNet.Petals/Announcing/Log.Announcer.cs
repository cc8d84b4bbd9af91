// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Logging;

namespace KwaaiNet.Petals;

/// <summary>The announcer's log messages (event ids 4301–4349 of the Petals range).</summary>
internal static partial class Log
{
    private const int AnnouncerBase = 4300;

    [LoggerMessage(EventId = AnnouncerBase + 1, EventName = nameof(Announced), Level = LogLevel.Information,
        Message = "Announced {Spans} as {PeerId}, with {OfflineRecords} offline records for spans no longer served: {Stored} of {Records} records stored")]
    public static partial void Announced(this ILogger logger, string spans, int offlineRecords, int stored, int records, string peerId);

    [LoggerMessage(EventId = AnnouncerBase + 2, EventName = nameof(AnnounceFailed), Level = LogLevel.Warning,
        Message = "Could not announce: {Reason}; retrying in {RetrySeconds:0.#} s")]
    public static partial void AnnounceFailed(this ILogger logger, string reason, double retrySeconds);

    [LoggerMessage(EventId = AnnouncerBase + 3, EventName = nameof(AnnounceRefused), Level = LogLevel.Error,
        Message = "A worker's span cannot be announced: {Reason}")]
    public static partial void AnnounceRefused(this ILogger logger, string reason);

    [LoggerMessage(EventId = AnnouncerBase + 4, EventName = nameof(NothingToAnnounce), Level = LogLevel.Information,
        Message = "Nothing to announce: no worker serves or loads a span yet ({Workers} workers reported)")]
    public static partial void NothingToAnnounce(this ILogger logger, int workers);

    [LoggerMessage(EventId = AnnouncerBase + 5, EventName = nameof(AnnouncedOffline), Level = LogLevel.Information,
        Message = "Shutting down: announced {Records} block records offline ({Stored} stored)")]
    public static partial void AnnouncedOffline(this ILogger logger, int records, int stored);

    [LoggerMessage(EventId = AnnouncerBase + 6, EventName = nameof(OfflineFailed), Level = LogLevel.Warning,
        Message = "Shutting down: could not announce the node offline ({Reason}); its records expire on their own")]
    public static partial void OfflineFailed(this ILogger logger, string reason);

    [LoggerMessage(EventId = AnnouncerBase + 7, EventName = nameof(AnnouncingDisabled), Level = LogLevel.Information,
        Message = "Announcing is off (KwaaiNet:Announcer:Enabled=false): the node does not appear on the map")]
    public static partial void AnnouncingDisabled(this ILogger logger);

    [LoggerMessage(EventId = AnnouncerBase + 8, EventName = nameof(PledgeLoaded), Level = LogLevel.Information,
        Message = "Announcing the FiduciaryPledge credential from {Path}")]
    public static partial void PledgeLoaded(this ILogger logger, string path);

    [LoggerMessage(EventId = AnnouncerBase + 9, EventName = nameof(WorkerStatus), Level = LogLevel.Debug,
        Message = "Worker {WorkerId}: {Model} [{StartBlock}, {EndBlock}) {State}")]
    public static partial void WorkerStatus(this ILogger logger, string workerId, string model, int startBlock, int endBlock, string state);
}
