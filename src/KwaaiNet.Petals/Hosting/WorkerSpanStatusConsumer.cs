// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Messages;
using KwaaiNet.Petals.Announcing;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Petals.Hosting;

/// <summary>Keeps each worker's latest span status for the announcer.</summary>
internal sealed class WorkerSpanStatusConsumer(WorkerSpans workers, ILogger<WorkerSpanStatusConsumer> logger) : IConsumer<WorkerSpanStatus>
{
    public Task Consume(ConsumeContext<WorkerSpanStatus> context)
    {
        var status = context.Message;
        if (logger.IsEnabled(LogLevel.Debug))
        {
            logger.WorkerStatus(status.WorkerId, status.Model, status.StartBlock, status.EndBlock, status.State.ToString());
        }

        workers.Record(status);
        return Task.CompletedTask;
    }
}
