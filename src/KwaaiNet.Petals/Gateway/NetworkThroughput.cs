// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Node;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Protocols;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Gateway;

/// <summary>
/// The announced throughput (docs/records.md §3): upstream KwaaiNet's rule (<c>throughput.rs</c>),
/// <c>network_rps = bits_per_second / (hidden_size × 16)</c> and
/// <c>throughput = min(compute, network_rps × (0.2 if using_relay else 1))</c>, with the node's download rate
/// measured over libp2p with the bandwidth probe instead of upstream's HTTP download from a speed-test site.
/// </summary>
/// <remarks>
/// The rate is the configured <see cref="NetworkThroughputOptions.NetworkMbps"/> when set. Otherwise it is measured
/// against a connected peer (bootstrap peers first, then the others; at most <see cref="MaxProbePeers"/> tried) on
/// first use, kept for <see cref="RemeasureInterval"/>, then measured again; after a failed measurement the last good
/// figure is kept (none at first: unknown) and the next attempt comes after <see cref="RetryInterval"/>.
/// </remarks>
public sealed class NetworkThroughput : IDisposable
{
    /// <summary>The bytes one probe downloads: 1 MiB, as upstream KwaaiNet.</summary>
    public const int ProbeByteCount = BandwidthService.DefaultByteCount;

    /// <summary>The peers tried in one measurement.</summary>
    public const int MaxProbePeers = 3;

    /// <summary>The throughput announced while the compute rate is unknown (upstream: no benchmark cache entry).</summary>
    public const double UnknownComputeRps = 10.0;

    /// <summary>The share of the network rate a node reachable only through a relay announces.</summary>
    public const double RelayFactor = 0.2;

    /// <summary>The bits one request moves per hidden-state element (fp16 activations: 16).</summary>
    public const int BitsPerHiddenElement = 16;

    /// <summary>How long one probe may take: 15 s, as upstream's download.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(15);

    /// <summary>How long a measured rate is kept before it is measured again.</summary>
    public static readonly TimeSpan RemeasureInterval = TimeSpan.FromHours(1);

    /// <summary>How long after a failed measurement the next one is tried.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromMinutes(5);

    private readonly INodeGateway _gateway;
    private readonly TimeProvider _time;
    private readonly ILogger<NetworkThroughput> _logger;
    private readonly double? _configuredBitsPerSecond;
    private readonly HashSet<string> _bootstrapPeers;
    private readonly SemaphoreSlim _measuring = new(1, 1);
    private double? _measured;
    private DateTimeOffset? _nextMeasurement;

    /// <summary>Creates the throughput source for the node behind <paramref name="gateway"/>.</summary>
    public NetworkThroughput(
        INodeGateway gateway,
        IOptions<NetworkThroughputOptions> options,
        IOptions<NodeOptions> node,
        TimeProvider time,
        ILogger<NetworkThroughput> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(node);
        _gateway = gateway;
        _time = time;
        _logger = logger;
        _configuredBitsPerSecond = options.Value.NetworkMbps * 1_000_000.0;
        _bootstrapPeers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var text in node.Value.InitialPeers)
        {
            if (Multiaddr.TryParse(text, out var address) && address.PeerId is { } peer)
            {
                _bootstrapPeers.Add(peer.ToString());
            }
        }
    }

    /// <summary>
    /// The requests per second the network carries: <c>bits_per_second / (hidden_size × 16)</c>; null when the rate
    /// is unknown or not positive, or the hidden size is not positive.
    /// </summary>
    public static double? NetworkRps(double? bitsPerSecond, int hiddenSize) =>
        bitsPerSecond is { } bps && double.IsFinite(bps) && bps > 0 && hiddenSize > 0
            ? bps / ((double)hiddenSize * BitsPerHiddenElement)
            : null;

    /// <summary>
    /// The throughput to announce: <see cref="UnknownComputeRps"/> when <paramref name="compute"/> is unknown (null,
    /// negative or not finite); <paramref name="compute"/> when the network rate is unknown or the hidden size is 0;
    /// else <c>min(compute, network_rps × (0.2 if using_relay else 1))</c>.
    /// </summary>
    public static double Effective(double? compute, double? networkBitsPerSecond, int hiddenSize, bool usingRelay)
    {
        if (compute is not { } rps || !double.IsFinite(rps) || rps < 0)
        {
            return UnknownComputeRps;
        }

        return NetworkRps(networkBitsPerSecond, hiddenSize) is { } network
            ? Math.Min(rps, network * (usingRelay ? RelayFactor : 1.0))
            : rps;
    }

    /// <summary>
    /// The node's download rate in bits per second: the configured figure, else the last measurement (measuring when
    /// none is fresh); null when nothing is configured and no measurement has succeeded yet.
    /// </summary>
    public async Task<double?> GetNetworkBitsPerSecondAsync(CancellationToken cancellationToken)
    {
        if (_configuredBitsPerSecond is { } configured)
        {
            return configured;
        }

        await _measuring.WaitAsync(cancellationToken);
        try
        {
            if (_nextMeasurement is { } next && _time.GetUtcNow() < next)
            {
                return _measured;
            }

            var (rate, reason) = await MeasureAsync(cancellationToken);
            if (rate is not null)
            {
                _measured = rate;
                _nextMeasurement = _time.GetUtcNow() + RemeasureInterval;
            }
            else
            {
                _logger.NetworkNotMeasured(reason, (int)RetryInterval.TotalMinutes);
                _nextMeasurement = _time.GetUtcNow() + RetryInterval;
            }

            return _measured;
        }
        finally
        {
            _measuring.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _measuring.Dispose();

    private async Task<(double? Rate, string Reason)> MeasureAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> connected;
        try
        {
            connected = await _gateway.GetConnectedPeersAsync(cancellationToken);
        }
        catch (GatewayUnavailableException ex)
        {
            return (null, ex.Message);
        }

        if (connected.Count == 0)
        {
            return (null, "no connected peer to measure against");
        }

        // Bootstrap peers first (they are the likeliest to run our protocol and to be well connected), then the rest
        // in the gateway's order.
        var candidates = connected.Where(_bootstrapPeers.Contains).Concat(connected.Where(p => !_bootstrapPeers.Contains(p))).Take(MaxProbePeers);
        foreach (var peer in candidates)
        {
            double? rate;
            try
            {
                rate = await _gateway.MeasureDownloadBitsPerSecondAsync(peer, cancellationToken);
            }
            catch (GatewayUnavailableException ex)
            {
                return (null, ex.Message);
            }

            if (rate is { } bps && double.IsFinite(bps) && bps > 0)
            {
                _logger.NetworkMeasured(bps / 1_000_000.0, peer);
                return (bps, string.Empty);
            }
        }

        return (null, "no connected peer answered the bandwidth probe");
    }
}
