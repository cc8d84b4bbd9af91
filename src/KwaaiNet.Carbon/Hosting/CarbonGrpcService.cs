// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using KwaaiNet.Carbon.Energy;
using KwaaiNet.Contracts.Carbon.V1;

namespace KwaaiNet.Carbon.Hosting;

/// <summary>The carbon-tracker's internal gRPC API: maps and delegates only.</summary>
internal sealed class CarbonGrpcService(IEnergyMeter meter) : CarbonTracker.CarbonTrackerBase
{
    public override Task<GetFootprintResponse> GetFootprint(GetFootprintRequest request, ServerCallContext context)
    {
        var reading = meter.Read();
        var response = new GetFootprintResponse
        {
            Measured = reading.IsMeasured,
            Source = reading.Source,
            EnergyJoules = reading.EnergyJoules ?? 0,
            AveragePowerWatts = reading.AveragePowerWatts ?? 0,
            MeasuredAt = Timestamp.FromDateTimeOffset(reading.Timestamp),
            Reason = reading.Reason ?? string.Empty,
        };
        foreach (var zone in reading.Zones)
        {
            response.Zones.Add(new EnergyZone
            {
                Id = zone.ZoneId,
                Name = zone.Name,
                EnergyJoules = zone.EnergyJoules ?? 0,
                Measured = zone.IsMeasured,
                IncludedInTotal = zone.IncludedInTotal,
                Reason = zone.Reason ?? string.Empty,
            });
        }

        return Task.FromResult(response);
    }
}
