// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Testing.Dht;

namespace KwaaiNet.Hivemind.Tests.Node;

/// <summary>
/// One hundred DHT nodes on real libp2p over loopback (TCP, Noise, Yamux, identify, kad peer routing, p2pd unary
/// calls): node ids random, peer addresses resolved through the peerstore and kad, never derived from ids.
/// </summary>
[Collection(SwarmGroup.Name)]
public sealed class Libp2pSwarmTests(SwarmFixture fixture)
{
    [Fact]
    public async Task EveryStoredKey_IsFoundFromEveryNode()
    {
        var ct = TestContext.Current.CancellationToken;
        var swarm = fixture.Swarm;

        var found = 0;
        foreach (var node in swarm.Alive)
        {
            var values = await node.Dht.GetManyAsync(fixture.Keys, cancellationToken: ct).WaitAsync(TimeSpan.FromMinutes(1), ct);
            found += fixture.Keys.Count(k => values[k]?.Value.Span.SequenceEqual(SwarmFixture.ValueOf(k)) == true);
        }

        Assert.Equal(swarm.Alive.Count * fixture.Keys.Count, found);
    }

    [Fact]
    public async Task AfterTwentyPercentOfNodesDie_GetsStillSucceedForAtLeast99PercentOfKeys()
    {
        var ct = TestContext.Current.CancellationToken;
        var swarm = fixture.Swarm;
        var random = new Random(41);
        foreach (var victim in swarm.Alive.OrderBy(_ => random.Next()).Take(swarm.Nodes.Count / 5).ToList())
        {
            await swarm.StopAsync(victim);
        }

        var survivors = swarm.Alive;
        var found = 0;
        for (var i = 0; i < fixture.Keys.Count; i++)
        {
            var key = fixture.Keys[i];
            var item = await survivors[(i * 7) % survivors.Count].Dht.GetAsync(key, cancellationToken: ct).WaitAsync(TimeSpan.FromMinutes(1), ct);
            found += item?.Value.Span.SequenceEqual(SwarmFixture.ValueOf(key)) == true ? 1 : 0;
        }

        Assert.True(found >= 0.99 * fixture.Keys.Count, $"{found} of {fixture.Keys.Count} keys found after 20% of nodes died");
    }
}

/// <summary>The 100-node libp2p swarm with 50 stored keys, shared by the swarm tests (they run in order: churn last).</summary>
public sealed class SwarmFixture : IAsyncLifetime
{
    public DhtSwarm Swarm { get; private set; } = null!;

    public IReadOnlyList<DhtId> Keys { get; } = [.. Enumerable.Range(0, 50).Select(static i => DhtId.FromKey("swarm-key-" + i))];

    public static byte[] ValueOf(DhtId key) => key.ToBytes()[..4];

    public async ValueTask InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        Swarm = await DhtSwarm.StartAsync(100, SwarmTransport.Libp2p, options: new DhtOptions { RpcTimeout = TimeSpan.FromSeconds(3) }, seed: 43, cancellationToken: timeout.Token);
        for (var i = 0; i < Keys.Count; i++)
        {
            var outcome = await Swarm.Nodes[(i * 13) % Swarm.Nodes.Count].Dht.StoreAsync(Keys[i], ValueOf(Keys[i]), DhtTime.Now(TimeProvider.System) + 3600, cancellationToken: timeout.Token);
            if (!outcome.Stored)
            {
                throw new InvalidOperationException($"key {i} was not stored");
            }
        }
    }

    public async ValueTask DisposeAsync() => await Swarm.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class SwarmGroup : ICollectionFixture<SwarmFixture>
{
    public const string Name = "libp2p swarm";
}
