// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Messages;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Inference.Hosting;

/// <summary>Publishes <see cref="TokensProcessed"/> once per reporting period in which tokens ran, and once more at shutdown.</summary>
internal sealed class TokensProcessedPublisher(
    TokenMeter meter,
    InferenceModelHost model,
    IPublishEndpoint publisher,
    IOptions<InferenceOptions> options,
    TimeProvider timeProvider,
    ILogger<TokensProcessedPublisher> logger) : BackgroundService
{
    private static readonly TimeSpan FinalReportLimit = TimeSpan.FromSeconds(5);

    private DateTimeOffset _periodStart;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _periodStart = timeProvider.GetUtcNow();
        using var timer = new PeriodicTimer(options.Value.ReportPeriod, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await ReportAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the last period is reported by StopAsync.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);

        // The last period's report gets a few seconds: an unreachable broker must not hold the shutdown.
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(FinalReportLimit);
        try
        {
            await ReportAsync(limit.Token);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            logger.PublishFailed(nameof(TokensProcessed), new TimeoutException($"the final report did not go out within {FinalReportLimit}"));
        }
    }

    private async Task ReportAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var (tokens, steps, generated) = meter.Take();
        var start = _periodStart;
        _periodStart = now;
        if (tokens == 0 && generated == 0)
        {
            return;
        }

        var span = model.Status.Span?.Span;
        try
        {
            await publisher.Publish(
                new TokensProcessed(model.CurrentModel, span?.Start ?? -1, span?.End ?? -1, tokens, steps, generated, start, now),
                cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.PublishFailed(nameof(TokensProcessed), e);
        }
    }
}
