// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Petals.Map;

namespace KwaaiNet.Petals.Tests.Selection;

/// <summary>Map reports for selection tests: servers as (peer, start, end, throughput, state).</summary>
internal static class MapReports
{
    public static MapModelReport Report(int numBlocks, params (string Peer, int Start, int End, double Throughput, string State)[] servers) =>
        Report("unsloth/Llama-3.1-8B-Instruct", "Llama-3-1-8B-Instruct", numBlocks, servers);

    public static MapModelReport Report(string name, string dhtPrefix, int numBlocks, params (string Peer, int Start, int End, double Throughput, string State)[] servers)
    {
        var rows = servers
            .Select(static s => new MapServerRow(
                s.Peer,
                "..." + s.Peer[Math.Max(0, s.Peer.Length - 6)..],
                false,
                s.State,
                new MapPeerIpInfo(null, []),
                new MapSpan(s.Peer, s.Start, s.End, new MapServerInfo(s.State, s.Throughput, s.Start, s.End, null, "kwaai-0.6.2", null, null, null, "float16", null, false, 100, 0)),
                false,
                null,
                DateTimeOffset.UnixEpoch))
            .ToList();
        return new MapModelReport(
            name, name[(name.LastIndexOf('/') + 1)..], dhtPrefix, "https://huggingface.co/" + name, numBlocks, "healthy", rows, [dhtPrefix, dhtPrefix + "-hf"], new int[numBlocks]);
    }
}
