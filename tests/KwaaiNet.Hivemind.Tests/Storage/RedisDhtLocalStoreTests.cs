// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Binary;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Storage;
using KwaaiNet.Testing;
using StackExchange.Redis;

namespace KwaaiNet.Hivemind.Tests.Storage;

[Collection(RedisGroup.Name)]
public sealed class RedisDhtLocalStoreTests(RedisServerFixture redis) : DhtLocalStoreContract
{
    private const string Prefix = "kwaainet:dht:";
    private static readonly byte[] ValueOne = [1];
    private static readonly byte[] ValueTwo = [2];
    private static readonly byte[] SubkeyA = [0xA1];
    private static readonly byte[] SubkeyB = [0xA2];

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Store_WritesTheDocumentedLayout()
    {
        var scope = NewScope();
        var store = Create(redis.Connection!, scope);
        var key = DhtId.Random();
        var expires = Now + 60;

        Assert.True(await store.StoreAsync(DhtTier.Cache, key, ValueTwo, expires, Ct));

        var field = (byte[]?)await Database.HashGetAsync($"{Prefix}{scope}:c:{key}", "");
        Assert.NotNull(field);
        Assert.Equal(BitConverter.DoubleToInt64Bits(expires), BitConverter.DoubleToInt64Bits(BinaryPrimitives.ReadDoubleBigEndian(field)));
        Assert.Equal(ValueTwo, field[sizeof(double)..]);
        Assert.False(await Database.KeyExistsAsync($"{Prefix}{scope}:s:{key}"));
    }

    [Fact]
    public async Task Store_SetsRedisExpiryToTheLatestEntry()
    {
        var store = Create(redis.Connection!, NewScope(), TimeProvider.System);
        var key = DhtId.Random();
        var now = DhtTime.Now(TimeProvider.System);

        Assert.True(await store.StoreSubkeyAsync(DhtTier.Storage, key, SubkeyB, ValueOne, now + 600.0004, Ct));
        Assert.True(await store.StoreSubkeyAsync(DhtTier.Storage, key, SubkeyA, ValueOne, now + 300, Ct));

        var hash = (await FindKeysAsync(":s:" + key)).Single();
        var expireAt = (long)await Database.ExecuteAsync("PEXPIRETIME", hash);
        Assert.Equal((long)Math.Ceiling((now + 600.0004) * 1000), expireAt);
    }

    [Fact]
    public async Task Store_NewConnectionSameScope_ServesAndEnforcesTheStoredRecords()
    {
        var scope = NewScope();
        var key = DhtId.Random();
        var dictionary = DhtId.Random();
        var expires = Now + 600;
        Assert.True(await Create(redis.Connection!, scope).StoreAsync(DhtTier.Storage, key, ValueOne, expires, Ct));
        Assert.True(await Create(redis.Connection!, scope).StoreSubkeyAsync(DhtTier.Storage, dictionary, SubkeyA, ValueTwo, expires, Ct));

        await using var restarted = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString).WaitAsync(Bound, Ct);
        var store = Create(restarted, scope);

        var item = await store.GetAsync(DhtTier.Storage, key, Ct);
        Assert.Equal(ValueOne, item?.Value.ToArray());
        Assert.Equal(expires, item?.ExpirationTime);
        Assert.Equal(ValueTwo, Assert.Single((await store.GetAsync(DhtTier.Storage, dictionary, Ct))!.Entries!).Value.ToArray());
        Assert.False(await store.StoreAsync(DhtTier.Storage, key, ValueTwo, expires, Ct));
        Assert.Equal(2, await CountAsync(store, DhtTier.Storage));
    }

    [Fact]
    public async Task Stores_WithDifferentScopes_DoNotSeeEachOther()
    {
        var first = Create(redis.Connection!, NewScope());
        var second = Create(redis.Connection!, NewScope());
        var key = DhtId.Random();
        var now = Now;

        Assert.True(await first.StoreAsync(DhtTier.Storage, key, ValueOne, now + 6000, Ct));
        Assert.True(await second.StoreAsync(DhtTier.Storage, key, ValueTwo, now + 600, Ct));

        Assert.Equal(ValueOne, (await first.GetAsync(DhtTier.Storage, key, Ct))?.Value.ToArray());
        Assert.Equal(ValueTwo, (await second.GetAsync(DhtTier.Storage, key, Ct))?.Value.ToArray());
        Assert.Equal(1, await CountAsync(first, DhtTier.Storage));
        Assert.Equal(1, await CountAsync(second, DhtTier.Storage));

        Time.Advance(TimeSpan.FromSeconds(601));
        Assert.Equal(0, await first.PurgeExpiredAsync(Ct));
        Assert.Equal(1, await second.PurgeExpiredAsync(Ct));
        Assert.NotNull(await first.GetAsync(DhtTier.Storage, key, Ct));
    }

    [Fact]
    public async Task Store_ConcurrentWritersOnTwoConnections_KeepTheLatestExpiration()
    {
        var scope = NewScope();
        await using var other = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString).WaitAsync(Bound, Ct);
        IDhtLocalStore[] writers = [Create(redis.Connection!, scope), Create(other, scope)];
        var key = DhtId.Random();
        var dictionary = DhtId.Random();
        var now = Now;
        var offsets = Enumerable.Range(1, 64).OrderBy(static _ => Random.Shared.Next()).ToArray();

        var results = await Task.WhenAll(offsets.Select((offset, i) => Task.WhenAll(
            writers[i % 2].StoreAsync(DhtTier.Storage, key, BitConverter.GetBytes(offset), now + 600 + offset, Ct).AsTask(),
            writers[(i + 1) % 2].StoreSubkeyAsync(DhtTier.Storage, dictionary, SubkeyA, BitConverter.GetBytes(offset), now + 600 + offset, Ct).AsTask())))
            .WaitAsync(Bound, Ct);

        var item = await writers[0].GetAsync(DhtTier.Storage, key, Ct);
        Assert.Equal(now + 664, item?.ExpirationTime);
        Assert.Equal(64, BitConverter.ToInt32(item!.Value.Span));
        var entry = Assert.Single((await writers[1].GetAsync(DhtTier.Storage, dictionary, Ct))!.Entries!);
        Assert.Equal(64, BitConverter.ToInt32(entry.Value.Span));

        // Whatever the interleaving, the one storing the latest expiration succeeded.
        var latest = Array.IndexOf(offsets, 64);
        Assert.True(results[latest][0]);
        Assert.True(results[latest][1]);
    }

    [Fact]
    public async Task Get_ForeignFieldsInHash_AreSkipped()
    {
        var scope = NewScope();
        var store = Create(redis.Connection!, scope);
        var key = DhtId.Random();
        Assert.True(await store.StoreSubkeyAsync(DhtTier.Storage, key, SubkeyA, ValueTwo, Now + 600, Ct));
        await Database.HashSetAsync($"{Prefix}{scope}:s:{key}", "x", "short");

        var entry = Assert.Single((await store.GetAsync(DhtTier.Storage, key, Ct))!.Entries!);
        Assert.Equal(ValueTwo, entry.Value.ToArray());
        Assert.Equal(1, await store.PurgeExpiredAsync(Ct));
    }

    [Fact]
    public async Task Items_IgnoresKeysThatAreNotDhtIds()
    {
        var scope = NewScope();
        var store = Create(redis.Connection!, scope);
        Assert.True(await store.StoreAsync(DhtTier.Storage, DhtId.Random(), ValueOne, Now + 600, Ct));
        await Database.HashSetAsync($"{Prefix}{scope}:s:not-an-id", "", new byte[9]);

        Assert.Equal(1, await CountAsync(store, DhtTier.Storage));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a:b")]
    [InlineData("node*")]
    [InlineData("peer id")]
    public void Constructor_InvalidScope_Throws(string scope)
    {
        var error = Assert.Throws<ArgumentException>(() => Create(redis.Connection!, scope));

        Assert.Equal("keyScope", error.ParamName);
    }

    [Fact]
    public void Constructor_OverlongScope_Throws()
    {
        Assert.Throws<ArgumentException>(() => Create(redis.Connection!, new string('a', 129)));
    }

    [Fact]
    public async Task Store_RedisDown_ThrowsRedisOrTimeoutException()
    {
        await using var down = await ConnectionMultiplexer.ConnectAsync(
            $"127.0.0.1:{FreeTcpPort.Next()},abortConnect=false,connectTimeout=500,syncTimeout=1000,asyncTimeout=1000").WaitAsync(Bound, Ct);
        var store = Create(down, NewScope());

        // A hang ends as a cancellation, which is neither of the expected exceptions.
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        guard.CancelAfter(Bound);
        var error = await Record.ExceptionAsync(async () => await store.StoreAsync(DhtTier.Storage, DhtId.Random(), ValueOne, Now + 60, Ct).AsTask().WaitAsync(guard.Token));

        Assert.True(error is RedisException or TimeoutException, $"got {error?.GetType().Name ?? "no exception"}");
    }

    protected override IDhtLocalStore CreateStore(DhtOptions options, TimeProvider time) =>
        new RedisDhtLocalStore(redis.Connection!, Microsoft.Extensions.Options.Options.Create(options), time, NewScope());

    private IDatabase Database => redis.Connection!.GetDatabase();

    private static string NewScope() => "test-" + Guid.NewGuid().ToString("N");

    private RedisDhtLocalStore Create(IConnectionMultiplexer connection, string scope, TimeProvider? time = null) =>
        new(connection, Microsoft.Extensions.Options.Options.Create(Options()), time ?? Time, scope);

    private async Task<List<RedisKey>> FindKeysAsync(string suffix)
    {
        List<RedisKey> keys = [];
        await foreach (var key in redis.Connection!.GetServers()[0].KeysAsync(pattern: "*" + suffix).WithCancellation(Ct))
        {
            keys.Add(key);
        }

        return keys;
    }
}
