// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using BenchmarkDotNet.Attributes;
using KwaaiNet.Libp2p.Identity;

namespace KwaaiNet.Benchmarks.Micro.Identity;

/// <summary>Peer id text round trips: every DHT record and routing entry carries one.</summary>
[MemoryDiagnoser]
public class PeerIdBenchmarks
{
    private readonly string _text = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";
    private PeerId _peerId = null!;

    [GlobalSetup]
    public void Setup() => _peerId = PeerId.Parse(_text);

    [Benchmark(Baseline = true)]
    public string ToBase58() => _peerId.ToBase58();

    [Benchmark]
    public PeerId ParseBase58() => PeerId.Parse(_text);
}
