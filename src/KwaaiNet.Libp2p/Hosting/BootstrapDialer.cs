// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Network;
using KwaaiNet.Libp2p.Protocols;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Libp2p.Hosting;

/// <summary>
/// Keeps the node connected to its bootstrap peers (<c>initial_peers</c>): dials each, and after a failure or a
/// lost connection dials again with exponential backoff and jitter. An unreachable peer is logged once (then at
/// debug level until it answers); the node keeps serving meanwhile.
/// </summary>
internal sealed class BootstrapDialer : IAsyncDisposable
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);

    private readonly Libp2pHost _host;
    private readonly KadDht _kad;
    private readonly IReadOnlyList<string> _peers;
    private readonly TimeSpan _maxBackoff;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private int _disposed;

    public BootstrapDialer(Libp2pHost host, KadDht kad, IReadOnlyList<string> peers, TimeSpan maxBackoff, ILogger<BootstrapDialer> logger, TimeProvider time)
    {
        _host = host;
        _kad = kad;
        _peers = peers;
        _maxBackoff = maxBackoff;
        _logger = logger;
        _time = time;
    }

    public void Start()
    {
        var valid = new List<Multiaddr>();
        foreach (var text in _peers)
        {
            if (Multiaddr.TryParse(text, out var address) && address.PeerId is not null)
            {
                valid.Add(address);
            }
            else
            {
                _logger.BootstrapPeerInvalid(text);
            }
        }

        _logger.BootstrapStarted(valid.Count);
        foreach (var address in valid)
        {
            _host.Protect(address.PeerId!);
            _loops.Add(KeepConnectedAsync(address));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_loops).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task KeepConnectedAsync(Multiaddr address)
    {
        var token = _stopping.Token;
        var backoff = FirstBackoff;
        var reported = false;
        try
        {
            while (!token.IsCancellationRequested)
            {
                try
                {
                    var connection = await _host.ConnectAsync(address, token).ConfigureAwait(false);
                    _logger.BootstrapConnected(address);
                    reported = false;
                    backoff = FirstBackoff;
                    await FillRoutingTableAsync(token).ConfigureAwait(false);
                    await connection.Completion.WaitAsync(token).ConfigureAwait(false);
                    continue;
                }
                catch (DialException ex)
                {
                    if (!reported)
                    {
                        _logger.BootstrapUnreachable(address, ex.Message);
                        reported = true;
                    }
                    else
                    {
                        _logger.BootstrapStillUnreachable(address, ex.Message);
                    }
                }

                var jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
                await Task.Delay(backoff * jitter, _time, token).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(_maxBackoff.Ticks, backoff.Ticks * 2));
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    private async Task FillRoutingTableAsync(CancellationToken cancellationToken)
    {
        // Like go and js at start: a lookup of our own id fills the routing table with the peers near us.
        try
        {
            await _kad.GetClosestPeersAsync(_host.PeerId.Multihash, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Libp2pProtocolException or IOException)
        {
            _logger.BootstrapLookupFailed(ex.Message);
        }
    }
}
