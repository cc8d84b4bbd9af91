// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Messages;
using KwaaiNet.Petals.Selection;
using MassTransit;

namespace KwaaiNet.Petals.Hosting;

/// <summary>Tells span selection which workers hold a span, so that it sends a new one only when none does.</summary>
internal sealed class WorkerSpanStatusSelectionConsumer(SpanSelectionService selection) : IConsumer<WorkerSpanStatus>
{
    public Task Consume(ConsumeContext<WorkerSpanStatus> context)
    {
        selection.Observe(context.Message);
        return Task.CompletedTask;
    }
}
