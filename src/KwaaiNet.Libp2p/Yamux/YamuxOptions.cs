// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Libp2p.Yamux;

/// <summary>
/// Limits and tuning of a <see cref="YamuxSession"/>. Defaults follow the yamux spec and the js-yamux/go-yamux
/// defaults quoted in research §2.6.
/// </summary>
public sealed class YamuxOptions
{
    /// <summary>The initial per-stream receive window every peer assumes, 256 KiB (yamux spec, research §2.6).</summary>
    public const int SpecInitialWindow = 256 * 1024;

    /// <summary>
    /// Inbound streams open at once; a new inbound stream beyond this gets RST. Default 1000 (js-yamux
    /// <c>maxInboundStreams</c>).
    /// </summary>
    public int MaxInboundStreams { get; set; } = 1000;

    /// <summary>
    /// Outbound streams open at once; <see cref="YamuxSession.OpenStreamAsync"/> throws beyond it. Default 1000
    /// (js-yamux <c>maxOutboundStreams</c>).
    /// </summary>
    public int MaxOutboundStreams { get; set; } = 1000;

    /// <summary>
    /// Inbound streams received but not yet accepted by <see cref="YamuxSession.AcceptStreamAsync"/>; a new
    /// inbound stream beyond this gets RST. Default 256 (go-yamux <c>AcceptBacklog</c>).
    /// </summary>
    public int AcceptBacklog { get; set; } = 256;

    /// <summary>
    /// The receive window a new stream starts with; at least the spec's 256 KiB, anything above it is announced
    /// with the SYN or ACK. Default 256 KiB.
    /// </summary>
    public int InitialStreamWindow { get; set; } = SpecInitialWindow;

    /// <summary>
    /// The largest receive window auto-tuning grows a stream to. Default 16 MiB (js-yamux
    /// <c>maxStreamWindowSize</c>, go-yamux <c>MaxStreamWindowSize</c>).
    /// </summary>
    public int MaxStreamWindow { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// The largest payload of one outbound data frame. Default 65507 = 65519 (the largest Noise plaintext frame)
    /// - 12 (the yamux header), so that each data frame fills exactly one Noise frame.
    /// </summary>
    public int MaxFramePayload { get; set; } = 65519 - YamuxHeader.Size;

    /// <summary>
    /// A safety cap on received bytes buffered in the whole session and not yet read by the application; windows
    /// only grow while the session stays below it, and a peer that pushes the session past it ends the session
    /// (GoAway internal error). Default 512 MiB.
    /// </summary>
    public long MaxBufferedBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>
    /// How often to ping the peer to keep the connection alive; null disables it. Default 30 s (js-yamux
    /// <c>keepAliveInterval</c>).
    /// </summary>
    public TimeSpan? KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a keepalive ping may wait for its reply before the session is closed. Default 10 s.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long closing the session may spend writing frames still queued (and the GoAway) before the transport is
    /// closed anyway. Default 5 s.
    /// </summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxInboundStreams);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxOutboundStreams);
        ArgumentOutOfRangeException.ThrowIfNegative(AcceptBacklog);
        ArgumentOutOfRangeException.ThrowIfLessThan(InitialStreamWindow, SpecInitialWindow);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxStreamWindow, InitialStreamWindow);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFramePayload, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBufferedBytes, (long)InitialStreamWindow);
        if (KeepAliveInterval is { } interval)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(KeepAliveTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(CloseTimeout, TimeSpan.Zero);
    }
}
