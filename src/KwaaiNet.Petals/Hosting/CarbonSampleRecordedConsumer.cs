// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Messages;
using KwaaiNet.Petals.Map;
using MassTransit;

namespace KwaaiNet.Petals.Hosting;

/// <summary>Keeps the latest carbon sample on the map.</summary>
internal sealed class CarbonSampleRecordedConsumer(NetworkMap map) : IConsumer<CarbonSampleRecorded>
{
    public Task Consume(ConsumeContext<CarbonSampleRecorded> context)
    {
        map.RecordCarbonSample(context.Message);
        return Task.CompletedTask;
    }
}
