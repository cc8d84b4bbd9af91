// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using KwaaiNet.Carbon.Energy;
using KwaaiNet.Contracts.Messages;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Carbon.Hosting;

/// <summary>Takes an energy sample every period and publishes it as <see cref="CarbonSampleRecorded"/>.</summary>
internal sealed class CarbonSamplePublisher(
    IEnergyMeter meter,
    IPublishEndpoint publisher,
    IOptions<CarbonOptions> options,
    TimeProvider timeProvider,
    ILogger<CarbonSamplePublisher> logger) : BackgroundService
{
    /// <summary>Our trace source: each sample's publish is one trace, which MassTransit carries to the consumer.</summary>
    internal static readonly ActivitySource ActivitySource = new("KwaaiNet.Carbon");

    private readonly TimeSpan _period = options.Value.SamplePeriod;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_period, timeProvider);
        var first = true;
        do
        {
            var started = timeProvider.GetTimestamp();
            var reading = await PublishSampleAsync(stoppingToken);
            if (first)
            {
                // Said once: whether this node's energy is measured, and from where or why not.
                LogSource(reading);
                first = false;
            }

            var elapsed = timeProvider.GetElapsedTime(started);
            if (elapsed > _period)
            {
                logger.SampleOverran(elapsed.TotalMilliseconds, _period.TotalMilliseconds);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private void LogSource(EnergyReading reading)
    {
        if (reading.IsMeasured)
        {
            logger.Measuring(reading.Source, _period);
        }
        else
        {
            logger.Unmeasured(reading.Reason ?? "no energy source");
        }
    }

    private async Task<EnergyReading> PublishSampleAsync(CancellationToken cancellationToken)
    {
        using var activity = ActivitySource.StartActivity("carbon.sample", ActivityKind.Producer);
        var reading = meter.Read();
        activity?.SetTag("kwaainet.carbon.measured", reading.IsMeasured);
        try
        {
            await publisher.Publish(
                new CarbonSampleRecorded(reading.IsMeasured, reading.Source, reading.EnergyJoules, reading.AveragePowerWatts, reading.Timestamp, reading.Reason),
                cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The bus may be down (RabbitMQ restarting); its health check reports that. Keep sampling.
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            logger.PublishFailed(ex);
        }

        return reading;
    }
}
