// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Messages;
using MassTransit;

namespace KwaaiNet.Inference.Hosting;

/// <summary>Hands the map-announcer's <see cref="ServeSpan"/> to the worker, which persists and loads it.</summary>
internal sealed class ServeSpanConsumer(InferenceModelHost model) : IConsumer<ServeSpan>
{
    public Task Consume(ConsumeContext<ServeSpan> context)
    {
        model.Accept(context.Message);
        return Task.CompletedTask;
    }
}
