// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using KwaaiNet.Contracts.Map.V1;
using KwaaiNet.Petals.Announcing;
using KwaaiNet.Petals.Map;
using KwaaiNet.Petals.Records;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Hosting;

/// <summary>The map-announcer's internal gRPC API: maps and delegates only.</summary>
internal sealed class MapAnnouncerGrpcService(NetworkMap map, NodeAnnouncer announcer, IOptions<AnnouncerOptions> announcerOptions) : MapAnnouncer.MapAnnouncerBase
{
    public override Task<GetMapResponse> GetMap(GetMapRequest request, ServerCallContext context)
    {
        var snapshot = map.Snapshot;
        var response = new GetMapResponse { GeneratedAt = Timestamp.FromDateTimeOffset(snapshot.GeneratedAt) };
        foreach (var report in snapshot.Document.ModelReports)
        {
            foreach (var row in report.ServerRows)
            {
                var info = row.Span.ServerInfo;
                response.Servers.Add(new MapServer
                {
                    PeerId = row.PeerId,
                    PublicName = info.PublicName ?? string.Empty,
                    Model = report.Name,
                    StartBlock = row.Span.Start,
                    EndBlock = row.Span.End,
                    State = (int)(row.State switch
                    {
                        "online" => ServerState.Online,
                        "joining" => ServerState.Joining,
                        _ => ServerState.Offline,
                    }),
                    Throughput = info.Throughput,
                });
            }
        }

        if (snapshot.LatestCarbonSample is { } sample)
        {
            response.LatestCarbonSample = new CarbonSample
            {
                Measured = sample.Measured,
                Source = sample.Source,
                EnergyJoules = sample.EnergyJoules ?? 0,
                AveragePowerWatts = sample.AveragePowerWatts ?? 0,
                RecordedAt = Timestamp.FromDateTimeOffset(sample.RecordedAt),
                Reason = sample.Reason ?? string.Empty,
            };
        }

        return Task.FromResult(response);
    }

    public override Task<AnnounceResponse> Announce(AnnounceRequest request, ServerCallContext context)
    {
        if (!announcerOptions.Value.Enabled)
        {
            return Task.FromResult(new AnnounceResponse { Accepted = false, Detail = "announcing is off (KwaaiNet:Announcer:Enabled=false)" });
        }

        announcer.RequestAnnounce();
        var spans = announcer.Announced.Sum(static n => n.Spans.Count);
        return Task.FromResult(new AnnounceResponse
        {
            Accepted = true,
            Detail = spans == 0 ? "announcing now; no span announced yet" : $"announcing {spans} spans now",
        });
    }
}
