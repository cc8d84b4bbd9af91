// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Identity;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Libp2p;

internal static partial class Log
{
    [LoggerMessage(EventId = 3100, EventName = nameof(NoiseHandshakeCompleted), Level = LogLevel.Debug,
        Message = "Noise handshake as {Role} completed with {PeerId} ({KeyType} identity)")]
    public static partial void NoiseHandshakeCompleted(this ILogger logger, string role, PeerId peerId, KeyType keyType);

    [LoggerMessage(EventId = 3101, EventName = nameof(NoiseHandshakeFailed), Level = LogLevel.Debug,
        Message = "Noise handshake as {Role} failed: {Reason}")]
    public static partial void NoiseHandshakeFailed(this ILogger logger, string role, string reason);

    [LoggerMessage(EventId = 3102, EventName = nameof(NoisePeerIdMismatch), Level = LogLevel.Warning,
        Message = "Dialed {ExpectedPeerId} but the remote authenticated as {ActualPeerId}; connection dropped")]
    public static partial void NoisePeerIdMismatch(this ILogger logger, PeerId expectedPeerId, PeerId actualPeerId);
}
