// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Storage;

namespace KwaaiNet.Hivemind.Tests.Storage;

[Collection(RedisGroup.Name)]
public sealed class RedisDhtRecordStoreTests(RedisServerFixture redis) : DhtRecordStoreContract
{
    private IDhtRecordStore? _store;

    protected override IDhtRecordStore Store => _store ??= new RedisDhtRecordStore(redis.Connection!, Microsoft.Extensions.Options.Options.Create(Options), Time);

    [Fact]
    public async Task Store_SetsRedisExpiryToTheLatestValue()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = Key("redis-expiry");
        var store = new RedisDhtRecordStore(redis.Connection!, Microsoft.Extensions.Options.Options.Create(new DhtOptions()), TimeProvider.System);
        var later = DateTimeOffset.UtcNow.AddMinutes(10);

        Assert.True(await store.StoreAsync(key, new DhtRecord(new byte[] { 1 }, new byte[] { 1 }, DateTimeOffset.UtcNow.AddMinutes(5)), ct));
        Assert.True(await store.StoreAsync(key, new DhtRecord(new byte[] { 2 }, new byte[] { 1 }, later), ct));

        var ttl = await redis.Connection!.GetDatabase().KeyTimeToLiveAsync("kwaainet:dht:" + Convert.ToHexStringLower(key));
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task Get_ForeignFieldInHash_IsSkipped()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = Key("foreign");
        var store = new RedisDhtRecordStore(redis.Connection!, Microsoft.Extensions.Options.Options.Create(new DhtOptions()), TimeProvider.System);
        await redis.Connection!.GetDatabase().HashSetAsync("kwaainet:dht:" + Convert.ToHexStringLower(key), "x", "not ours");

        Assert.True(await store.StoreAsync(key, new DhtRecord(new byte[] { 9 }, new byte[] { 7 }, DateTimeOffset.UtcNow.AddMinutes(5)), ct));

        Assert.Equal(new byte[] { 7 }, Assert.Single(await store.GetAsync(key, ct)).Value.ToArray());
    }
}
