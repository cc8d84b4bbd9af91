// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Client;
using KwaaiNet.Petals.Map;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Hosting;

/// <summary>
/// Crawls the DHT into the <see cref="NetworkMap"/> at start and then every <see cref="MapOptions.CrawlPeriod"/>, and at
/// once after <see cref="RequestCrawl"/>. A crawl that fails (the DHT cannot answer now) is logged and retried at the
/// next period; the map keeps its last crawl meanwhile.
/// </summary>
internal sealed class MapCrawlerService(
    MapCrawler crawler,
    NetworkMap map,
    IBootstrapStates bootstrapStates,
    IOptions<MapOptions> options,
    TimeProvider time,
    ILogger<MapCrawlerService> logger) : BackgroundService
{
    private readonly TimeSpan _period = options.Value.CrawlPeriod;
    private TaskCompletionSource _requested = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Makes the next crawl start now (or right after the one under way), e.g. when this node's records change.</summary>
    public void RequestCrawl() => Volatile.Read(ref _requested).TrySetResult();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_period, time);
        Task<bool>? tick = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            // A request made from here on asks for another crawl after this one.
            Interlocked.Exchange(ref _requested, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            await CrawlOnceAsync(stoppingToken);

            tick ??= timer.WaitForNextTickAsync(stoppingToken).AsTask();
            var woke = await Task.WhenAny(tick, Volatile.Read(ref _requested).Task);
            if (woke == tick)
            {
                if (!await tick)
                {
                    return;
                }

                tick = null;
            }
        }
    }

    private async Task CrawlOnceAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        try
        {
            var states = await bootstrapStates.GetStatesAsync(cancellationToken);
            var document = await crawler.CrawlAsync(states, cancellationToken);
            map.Update(document);
            if (logger.IsEnabled(LogLevel.Debug))
            {
                logger.MapCrawled(document.ModelReports.Count, document.NumPeers, document.ReachabilityIssues.Count, (long)time.GetElapsedTime(started).TotalMilliseconds);
            }
        }
        catch (DhtUnavailableException ex)
        {
            logger.MapCrawlDhtUnavailable(_period, ex.Message);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: a gRPC client reports the cancelled call as an RpcException, not as cancellation.
            return;
        }
        catch (Exception ex)
        {
            // Whatever went wrong, the node keeps serving and the next period tries again.
            logger.MapCrawlFailed(_period, ex);
        }

        var elapsed = time.GetElapsedTime(started);
        if (elapsed > _period)
        {
            logger.MapCrawlOverran(elapsed, _period);
        }
    }
}
