// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using Google.Protobuf;
using KwaaiNet.Contracts.Dht.V1;
using KwaaiNet.Hivemind.Hosting;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Values;
using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace KwaaiNet.Hivemind.Tests.Hosting;

/// <summary>
/// The dht module with its records in a real Redis: what it stores survives a restart with its node id,
/// and what expires is no longer served and is purged from Redis.
/// </summary>
[Collection(RedisGroup.Name)]
public sealed class DhtServiceRestartTests(RedisServerFixture redis)
{
    private const string Prefix = "kwaainet:dht:";
    private static readonly TimeSpan CallLimit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Restart_SameRedisAndScope_KeepsRecordsWithExpirationsAndTheNodeId()
    {
        var ct = TestContext.Current.CancellationToken;
        var scope = NewScope();
        var regularKey = "restart-regular-" + Guid.NewGuid();
        var dictionaryKey = "restart-dictionary-" + Guid.NewGuid();
        var now = DhtTime.Now(TimeProvider.System);
        var regularExpiration = now + 600.25;
        var entryExpiration = now + 700.5;

        ByteString nodeIdBefore;
        await using (var first = await StartAsync(scope, null, ct))
        {
            var dht = new Dht.DhtClient(first.Channel);
            var stored = await dht.StoreAsync(
                new StoreRequest
                {
                    Items =
                    {
                        new StoreItem { Key = regularKey, Value = Msgpack("kept value"), ExpirationTime = regularExpiration },
                        new StoreItem { Key = dictionaryKey, Subkey = Msgpack("peer-a"), Value = Msgpack("kept entry"), ExpirationTime = entryExpiration },
                    },
                },
                cancellationToken: ct).ResponseAsync.WaitAsync(CallLimit, ct);
            Assert.All(stored.Results, static r => Assert.True(r.Stored));
            nodeIdBefore = (await RoutingTableAsync(dht, ct)).NodeId;
        }

        await using var second = await StartAsync(scope, null, ct);
        var again = new Dht.DhtClient(second.Channel);
        var regular = await GetAsync(again, regularKey, ct);
        var dictionary = await GetAsync(again, dictionaryKey, ct);
        var nodeIdAfter = (await RoutingTableAsync(again, ct)).NodeId;

        Assert.True(regular.Found);
        Assert.False(regular.IsDictionary);
        Assert.Equal(Msgpack("kept value"), regular.Value);
        Assert.Equal(regularExpiration, regular.ExpirationTime);
        Assert.True(dictionary.Found);
        Assert.True(dictionary.IsDictionary);
        var entry = Assert.Single(dictionary.Entries);
        Assert.Equal(Msgpack("peer-a"), entry.Subkey);
        Assert.Equal(Msgpack("kept entry"), entry.Value);
        Assert.Equal(entryExpiration, entry.ExpirationTime);
        Assert.Equal(entryExpiration, dictionary.ExpirationTime);
        Assert.Equal(DhtId.Length, nodeIdAfter.Length);
        Assert.Equal(nodeIdBefore, nodeIdAfter);
        Assert.Equal(nodeIdAfter.ToByteArray(), (byte[]?)await Database().StringGetAsync(Prefix + scope + ":node-id").WaitAsync(CallLimit, ct));

        // Another scope on the same Redis is another node: its own id, none of these records.
        await using var stranger = await StartAsync(NewScope(), null, ct);
        var strangerDht = new Dht.DhtClient(stranger.Channel);
        Assert.NotEqual(nodeIdAfter, (await RoutingTableAsync(strangerDht, ct)).NodeId);
        Assert.False((await GetAsync(strangerDht, regularKey, ct)).Found);
    }

    [Fact]
    public async Task ShortExpiration_AfterItPasses_NotServedAndPurgedFromRedis()
    {
        var ct = TestContext.Current.CancellationToken;
        var scope = NewScope();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var shortKey = "short-lived-" + Guid.NewGuid();
        var shortDictionary = "short-lived-dictionary-" + Guid.NewGuid();
        var longKey = "long-lived-" + Guid.NewGuid();
        var now = DhtTime.Now(time);
        await using var host = await StartAsync(scope, time, ct);
        var dht = new Dht.DhtClient(host.Channel);

        await dht.StoreAsync(
            new StoreRequest
            {
                Items =
                {
                    new StoreItem { Key = shortKey, Value = Msgpack("brief"), ExpirationTime = now + 30 },
                    new StoreItem { Key = shortDictionary, Subkey = Msgpack("peer-b"), Value = Msgpack("brief entry"), ExpirationTime = now + 30 },
                    new StoreItem { Key = longKey, Value = Msgpack("lasting"), ExpirationTime = now + 3600 },
                },
            },
            cancellationToken: ct).ResponseAsync.WaitAsync(CallLimit, ct);
        Assert.True((await GetAsync(dht, shortKey, ct)).Found);
        Assert.True((await GetAsync(dht, shortDictionary, ct)).Found);
        Assert.Contains(RecordKey(scope, "s", shortKey), await ScopeKeysAsync(scope, ct));

        time.Advance(TimeSpan.FromSeconds(31));

        Assert.False((await GetAsync(dht, shortKey, ct)).Found);
        Assert.False((await GetAsync(dht, shortDictionary, ct)).Found);
        Assert.True((await GetAsync(dht, longKey, ct)).Found);

        // The maintenance loop purges every PurgePeriod (5 s here) of the host's clock: advance it until the purge ran.
        var left = await Poll.UntilAsync(
            async token =>
            {
                time.Advance(TimeSpan.FromSeconds(5));
                return await ScopeKeysAsync(scope, token);
            },
            keys => !keys.Any(k => k.Contains(Hex(shortKey), StringComparison.Ordinal) || k.Contains(Hex(shortDictionary), StringComparison.Ordinal)),
            TimeSpan.FromSeconds(20),
            TimeSpan.FromMilliseconds(100),
            ct);

        string[] expected =
        [
            Prefix + scope + ":node-id",
            Prefix + scope + ":index:s",
            Prefix + scope + ":index:c",
            RecordKey(scope, "s", longKey),
            RecordKey(scope, "c", longKey),
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), left.Order(StringComparer.Ordinal));
        Assert.True((await GetAsync(dht, longKey, ct)).Found);
        var index = await Database().SortedSetRangeByRankAsync(Prefix + scope + ":index:s").WaitAsync(CallLimit, ct);
        Assert.Equal([Hex(longKey)], index.Select(static m => (string)m!));
    }

    /// <summary>
    /// The embedded node (the gateway's libp2p node in this process) on the system clock; or, with a
    /// <paramref name="time"/>, the standalone service on that clock (its gateway, never called here, is a closed port).
    /// </summary>
    private Task<ModuleHost> StartAsync(string scope, TimeProvider? time, CancellationToken ct) =>
        ModuleHost.StartAsync(
            b =>
            {
                if (time is not null)
                {
                    b.Services.AddSingleton(time);
                }
                else
                {
                    b.AddP2PGateway();
                }

                b.AddDht();
            },
            a =>
            {
                if (time is null)
                {
                    a.MapP2PGateway();
                }

                a.MapDht();
            },
            new Dictionary<string, string?>
            {
                ["ConnectionStrings:redis"] = redis.ConnectionString,
                ["KwaaiNet:Dht:KeyScope"] = scope,
                ["KwaaiNet:Dht:PurgePeriod"] = "00:00:05",
                ["KwaaiNet:Dht:Gateway"] = "http://127.0.0.1:" + FreeTcpPort.Next().ToString(CultureInfo.InvariantCulture),
            },
            ct).WaitAsync(CallLimit, ct);

    private IDatabase Database() => redis.Connection!.GetDatabase();

    private async Task<List<string>> ScopeKeysAsync(string scope, CancellationToken ct)
    {
        var server = redis.Connection!.GetServer(redis.Connection.GetEndPoints()[0]);
        var keys = new List<string>();
        await foreach (var key in server.KeysAsync(pattern: Prefix + scope + ":*").WithCancellation(ct))
        {
            keys.Add(key!);
        }

        return keys;
    }

    private static string NewScope() => "test-" + Guid.NewGuid().ToString("N");

    private static string Hex(string key) => DhtId.FromKey(key).ToString();

    private static string RecordKey(string scope, string tier, string key) => $"{Prefix}{scope}:{tier}:{Hex(key)}";

    private static ByteString Msgpack(string text) => ByteString.CopyFrom(DhtMsgPack.Str(text));

    private static Task<GetResponse> GetAsync(Dht.DhtClient dht, string key, CancellationToken ct) =>
        dht.GetAsync(new GetRequest { Key = key }, cancellationToken: ct).ResponseAsync.WaitAsync(CallLimit, ct);

    private static Task<RoutingTableResponse> RoutingTableAsync(Dht.DhtClient dht, CancellationToken ct) =>
        dht.RoutingTableAsync(new RoutingTableRequest(), cancellationToken: ct).ResponseAsync.WaitAsync(CallLimit, ct);
}
