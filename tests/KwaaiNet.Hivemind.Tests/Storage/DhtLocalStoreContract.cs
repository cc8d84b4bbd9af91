// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Storage;
using KwaaiNet.Hivemind.Values;
using Microsoft.Extensions.Time.Testing;

namespace KwaaiNet.Hivemind.Tests.Storage;

/// <summary>
/// The behaviour every <see cref="IDhtLocalStore"/> shares: hivemind's DHTLocalStorage and TimedStorage rules
/// (<c>hivemind/dht/storage.py</c>, <c>hivemind/utils/timed_storage.py</c>) and our bounds.
/// </summary>
public abstract class DhtLocalStoreContract
{
    protected const int MaxSubkeys = 4;
    protected const int CacheMaxKeys = 3;
    protected const int MaxKeys = 5;
    protected const int MaxValueBytes = 2 * 1024 * 1024;

    private static readonly byte[] SubkeyA = [0xA1];
    private static readonly byte[] SubkeyB = [0xA2];
    private static readonly byte[] ValueOne = [1];
    private static readonly byte[] ValueTwo = [2];
    private static readonly byte[] ValueThree = [3];

    private IDhtLocalStore? _store;

    /// <summary>
    /// Starts an hour ahead of the real time: Redis expires hashes on its own clock, so a fake clock behind it would
    /// lose them (a value expiring "now" included); the tests only move it forward.
    /// </summary>
    protected FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow.AddHours(1));

    protected IDhtLocalStore Store => _store ??= CreateStore(Options(), Time);

    protected double Now => DhtTime.Now(Time);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected static DhtOptions Options() => new()
    {
        MaxSubkeysPerKey = MaxSubkeys,
        CacheMaxKeys = CacheMaxKeys,
        MaxKeys = MaxKeys,
        MaxValueBytes = MaxValueBytes,
    };

    /// <summary>A fresh, empty store (for Redis: its own key scope).</summary>
    protected abstract IDhtLocalStore CreateStore(DhtOptions options, TimeProvider time);

    [Fact]
    public async Task Store_ThenGet_ReturnsRegularValueAndExpiration()
    {
        var key = DhtId.Random();
        var expires = Now + 360;

        Assert.True(await Store.StoreAsync(DhtTier.Storage, key, ValueOne, expires, Ct));
        var item = await Store.GetAsync(DhtTier.Storage, key, Ct);

        Assert.NotNull(item);
        Assert.False(item.IsDictionary);
        Assert.Equal(ValueOne, item.Value.ToArray());
        Assert.Equal(BitConverter.DoubleToInt64Bits(expires), BitConverter.DoubleToInt64Bits(item.ExpirationTime));
    }

    [Fact]
    public async Task Get_UnknownKey_IsNull()
    {
        Assert.Null(await Store.GetAsync(DhtTier.Storage, DhtId.Random(), Ct));
    }

    [Fact]
    public async Task Store_ExpirationBeforeNow_IsRejected()
    {
        var key = DhtId.Random();

        Assert.False(await Store.StoreAsync(DhtTier.Storage, key, ValueOne, Now - 0.001, Ct));
        Assert.False(await Store.StoreSubkeyAsync(DhtTier.Storage, key, SubkeyA, ValueOne, Now - 0.001, Ct));

        Assert.Null(await Store.GetAsync(DhtTier.Storage, key, Ct));
    }

    [Fact]
    public async Task Store_ExpirationEqualToNow_IsAccepted()
    {
        var regular = DhtId.Random();
        var dictionary = DhtId.Random();

        Assert.True(await Store.StoreAsync(DhtTier.Storage, regular, ValueOne, Now, Ct));
        Assert.True(await Store.StoreSubkeyAsync(DhtTier.Storage, dictionary, SubkeyA, ValueOne, Now, Ct));

        Assert.Equal(ValueOne, (await Store.GetAsync(DhtTier.Storage, regular, Ct))?.Value.ToArray());
        Assert.Single((await Store.GetAsync(DhtTier.Storage, dictionary, Ct))?.Entries ?? []);
    }

    [Fact]
    public async Task Store_NaNExpiration_IsRejected()
    {
        var key = DhtId.Random();

        Assert.False(await Store.StoreAsync(DhtTier.Storage, key, ValueOne, double.NaN, Ct));
        Assert.False(await Store.StoreSubkeyAsync(DhtTier.Storage, key, SubkeyA, ValueOne, double.NaN, Ct));
        Assert.Null(await Store.GetAsync(DhtTier.Storage, key, Ct));
    }

    [Fact]
    public async Task Store_OversizeValueOrSubkey_IsRejected()
    {
        var key = DhtId.Random();
        var options = Options();

        Assert.False(await Store.StoreAsync(DhtTier.Storage, key, new byte[MaxValueBytes + 1], Now + 60, Ct));
        Assert.False(await Store.StoreSubkeyAsync(DhtTier.Storage, key, new byte[options.MaxSubkeyBytes + 1], ValueOne, Now + 60, Ct));
        Assert.Null(await Store.GetAsync(DhtTier.Storage, key, Ct));
    }

    [Fact]
    public async Task StoreSubkey_EmptySubkey_Throws()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(
            async () => await Store.StoreSubkeyAsync(DhtTier.Storage, DhtId.Random(), ReadOnlyMemory<byte>.Empty, ValueOne, Now + 60, Ct));

        Assert.Contains("never empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Store_RegularValue_ReplacedOnlyByStrictlyLaterExpiration()
    {
        var key = DhtId.Random();
        var now = Now;

        Assert.True(await Store.StoreAsync(DhtTier.Storage, key, ValueTwo, now + 600, Ct));
        Assert.False(await Store.StoreAsync(DhtTier.Storage, key, ValueOne, now + 300, Ct));
        Assert.False(await Store.StoreAsync(DhtTier.Storage, key, ValueThree, now + 600, Ct));
        Assert.Equal(ValueTwo, (await Store.GetAsync(DhtTier.Storage, key, Ct))?.Value.ToArray());

        Assert.True(await Store.StoreAsync(DhtTier.Storage, key, ValueThree, now + 601, Ct));
        var item = await Store.GetAsync(DhtTier.Storage, key, Ct);
        Assert.Equal(ValueThree, item?.Value.ToArray());
        Assert.Equal(now + 601, item?.ExpirationTime);
    }

    [Fact]
    public async Task Store_AfterCurrentValueExpired_AcceptsAnEarlierLiveExpiration()
    {
        var key = DhtId.Random();
        Assert.True(await Store.StoreAsync(DhtTier.Storage, key, ValueOne, Now + 600, Ct));

        Time.Advance(TimeSpan.FromSeconds(601));

        Assert.Null(await Store.GetAsync(DhtTier.Storage, key, Ct));
        Assert.True(await Store.StoreAsync(DhtTier.Storage, key, ValueTwo, Now + 10, Ct));
        Assert.Equal(ValueTwo, (await Store.GetAsync(DhtTier.Storage, key, Ct))?.Value.ToArray());
    }

    [Fact]
    public async Task StoreSubkey_OnNothing_CreatesDictionaryOrderedBySubkeyBytes()
    {
        var key = DhtId.Random();
        byte[][] subkeys = [[0xA2], [0xA1, 0x00], [0x00], [0xA1], [0xA1, 0x00, 0x01]];
        var expires = Now + 60;
        var options = Options();
        options.MaxSubkeysPerKey = subkeys.Length;
        var store = CreateStore(options, Time);

        for (var i = 0; i < subkeys.Length; i++)
        {
            Assert.True(await store.StoreSubkeyAsync(DhtTier.Storage, key, subkeys[i], new[] { (byte)i }, expires + i, Ct));
        }

        var item = await store.GetAsync(DhtTier.Storage, key, Ct);
        Assert.NotNull(item);
        Assert.True(item.IsDictionary);
        var expected = subkeys.OrderBy(static s => s, Comparer<byte[]>.Create(static (a, b) => a.AsSpan().SequenceCompareTo(b))).ToList();
        Assert.Equal(expected, item.Entries!.Select(static e => e.Subkey.ToArray()));
        Assert.All(item.Entries!, e => Assert.Equal(expires + Array.FindIndex(subkeys, s => s.AsSpan().SequenceEqual(e.Subkey.Span)), e.ExpirationTime));
        Assert.All(item.Entries!, e => Assert.Equal(e.ExpirationTime - expires, e.Value.Span[0]));
        Assert.Equal(expires + subkeys.Length - 1, item.ExpirationTime);
    }

    [Fact]
    public async Task StoreSubkey_SameSubkey_SupersededOnlyWhenStrictlyLater()
    {
        var key = DhtId.Random();
        var now = Now;
        Assert.True(await Store.StoreSubkeyAsync(DhtTier.Storage, key, SubkeyA, ValueOne, now + 100, Ct));

        Assert.False(await Store.StoreSubkeyAsync(DhtTier.Storage, key, SubkeyA, ValueTwo, now + 100, Ct));
        Assert.False(await Store.StoreSubkeyAsync(DhtTier.Storage, key, SubkeyA, ValueTwo, now + 50, Ct));
        Assert.Equal(ValueOne, Assert.Single((await Store.GetAsync(DhtTier.Storage, key, Ct))!.Entries!).Value.ToArray());

        Assert.True(await Store.StoreSubkeyAsync(DhtTier.Storage, key, SubkeyA, ValueThree, now + 101, Ct));
        var entry = Assert.Single((await Store.GetAsync(DhtTier.Storage, key, Ct))!.Entries!);
        Assert.Equal(ValueThree, entry.Value.ToArray());
        Assert.Equal(now + 101, entry.ExpirationTime);
    }

    [Fact]
    public async Task StoreSubkey_AnotherSubkey_IsAddedEvenWhenExpiringEarlier()
    {
        var key = DhtId.Random();
        var now = Now;
        Assert.True(await Store.StoreSubkeyAsync(DhtTier.Storage, key, SubkeyA, ValueOne, now + 100, Ct));

        Assert.True(await Store.StoreSubkeyAsync(DhtTier.Storage, key, SubkeyB, ValueTwo, now + 10, Ct));

        var item = await Store.GetAsync(DhtTier.Storage, key, Ct);
        Assert.Equal(2, item?.Entries?.Count);
        Assert.Equal(now + 100, item?.ExpirationTime);
    }

    [Fact]
    public async Task StoreSubkey_OnEarlierRegularValue_BecomesDictionaryWithOnlyThatEntry()
    {
        var key = DhtId.Random();
        var now = Now;
        Assert.True(await Store.StoreAsync(DhtTier.Storage, key, ValueOne, now + 100, Ct));

        Assert.True(await Store.StoreSubkeyAsync(DhtTier.Storage, key, SubkeyA, ValueTwo, now + 101, Ct));

        var item = await Store.GetAsync(DhtTier.Storage, key, Ct);
        Assert.NotNull(item);
        var entry = Assert.Single(item.Entries!);
        Assert.Equal(SubkeyA, entry.Subkey.ToArray());
        Assert.Equal(ValueTwo, entry.Value.ToArray());
        Assert.Equal(now + 101, item.ExpirationTime);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task StoreSubkey_OnRegularValueExpiringNoEarlier_IsRejected(int offsetSeconds)
    {
        var key = DhtId.Random();
        var now = Now;
        Assert.True(await Store.StoreAsync(DhtTier.Storage, key, ValueOne, now + 100, Ct));

        Assert.False(await Store.StoreSubkeyAsync(DhtTier.Storage, key, SubkeyA, ValueTwo, now + 100 + offsetSeconds, Ct));

        var item = await Store.GetAsync(DhtTier.Storage, key, Ct);
        Assert.False(item?.IsDictionary);
        Assert.Equal(ValueOne, item?.Value.ToArray());
    }

    [Fact]
    public async Task Store_RegularLaterThanDictionarysLatestEntry_ReplacesTheDictionary()
    {
        var key = DhtId.Random();
        var now = Now;
        Assert.True(await Store.StoreSubkeyAsync(DhtTier.Storage, key, SubkeyA, ValueOne, now + 50, Ct));
        Assert.True(await Store.StoreSubkeyAsync(DhtTier.Storage, key, SubkeyB, ValueOne, now + 100, Ct));

        Assert.False(await Store.StoreAsync(DhtTier.Storage, key, ValueTwo, now + 100, Ct));
        Assert.False(await Store.StoreAsync(DhtTier.Storage, key, ValueTwo, now + 75, Ct));
        Assert.True((await Store.GetAsync(DhtTier.Storage, key, Ct))?.IsDictionary);

        Assert.True(await Store.StoreAsync(DhtTier.Storage, key, ValueThree, now + 101, Ct));
        var item = await Store.GetAsync(DhtTier.Storage, key, Ct);
        Assert.False(item?.IsDictionary);
        Assert.Equal(ValueThree, item?.Value.ToArray());

        // The old entries are gone for good: a new subkey store starts a dictionary of its own.
        Assert.True(await Store.StoreSubkeyAsync(DhtTier.Storage, key, SubkeyA, ValueOne, now + 102, Ct));
        Assert.Single((await Store.GetAsync(DhtTier.Storage, key, Ct))!.Entries!);
    }

    [Fact]
    public async Task Get_DictionaryEntries_ExpireIndependently()
    {
        var key = DhtId.Random();
        var now = Now;
        Assert.True(await Store.StoreSubkeyAsync(DhtTier.Storage, key, SubkeyA, ValueOne, now + 10, Ct));
        Assert.True(await Store.StoreSubkeyAsync(DhtTier.Storage, key, SubkeyB, ValueTwo, now + 20, Ct));

        Time.Advance(TimeSpan.FromSeconds(15));
        var item = await Store.GetAsync(DhtTier.Storage, key, Ct);
        var entry = Assert.Single(item!.Entries!);
        Assert.Equal(SubkeyB, entry.Subkey.ToArray());
        Assert.Equal(now + 20, item.ExpirationTime);

        // The expired subkey may come back with any live expiration.
        Assert.True(await Store.StoreSubkeyAsync(DhtTier.Storage, key, SubkeyA, ValueThree, Now + 1, Ct));
        Assert.Equal(2, (await Store.GetAsync(DhtTier.Storage, key, Ct))!.Entries!.Count);

        Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(await Store.GetAsync(DhtTier.Storage, key, Ct));
    }

    [Fact]
    public async Task Tiers_AreIndependent()
    {
        var key = DhtId.Random();
        var now = Now;

        Assert.True(await Store.StoreAsync(DhtTier.Storage, key, ValueOne, now + 100, Ct));
        Assert.Null(await Store.GetAsync(DhtTier.Cache, key, Ct));

        // An earlier value is accepted in the cache: the storage tier's value does not compete.
        Assert.True(await Store.StoreAsync(DhtTier.Cache, key, ValueTwo, now + 50, Ct));
        Assert.Equal(ValueOne, (await Store.GetAsync(DhtTier.Storage, key, Ct))?.Value.ToArray());
        Assert.Equal(ValueTwo, (await Store.GetAsync(DhtTier.Cache, key, Ct))?.Value.ToArray());
    }

    [Fact]
    public async Task Cache_BeyondMaxKeys_EvictsTheEarliestExpiring()
    {
        var now = Now;
        var keys = Enumerable.Range(0, CacheMaxKeys + 1).Select(static _ => DhtId.Random()).ToArray();
        double[] expirations = [now + 300, now + 100, now + 400, now + 200];

        for (var i = 0; i < keys.Length; i++)
        {
            Assert.True(await Store.StoreAsync(DhtTier.Cache, keys[i], ValueOne, expirations[i], Ct));
        }

        Assert.Null(await Store.GetAsync(DhtTier.Cache, keys[1], Ct));
        foreach (var kept in (int[])[0, 2, 3])
        {
            Assert.NotNull(await Store.GetAsync(DhtTier.Cache, keys[kept], Ct));
        }

        Assert.Equal(CacheMaxKeys, await CountAsync(Store, DhtTier.Cache));
    }

    [Fact]
    public async Task Storage_BeyondMaxKeys_RefusesNewKeysUntilOneExpires()
    {
        var now = Now;
        var keys = Enumerable.Range(0, MaxKeys).Select(static _ => DhtId.Random()).ToArray();
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.True(await Store.StoreAsync(DhtTier.Storage, keys[i], ValueOne, now + (i == 0 ? 10 : 100), Ct));
        }

        var extra = DhtId.Random();
        Assert.False(await Store.StoreAsync(DhtTier.Storage, extra, ValueOne, now + 100, Ct));
        Assert.False(await Store.StoreSubkeyAsync(DhtTier.Storage, extra, SubkeyA, ValueOne, now + 100, Ct));

        // Keys already held are still updated.
        Assert.True(await Store.StoreAsync(DhtTier.Storage, keys[1], ValueTwo, now + 200, Ct));

        Time.Advance(TimeSpan.FromSeconds(11));
        Assert.True(await Store.StoreAsync(DhtTier.Storage, extra, ValueOne, Now + 100, Ct));
        Assert.Equal(MaxKeys, await CountAsync(Store, DhtTier.Storage));
    }

    [Fact]
    public async Task StoreSubkey_FullKey_RefusesNewSubkeyUntilOneExpires()
    {
        var key = DhtId.Random();
        var now = Now;
        for (var i = 0; i < MaxSubkeys; i++)
        {
            Assert.True(await Store.StoreSubkeyAsync(DhtTier.Storage, key, new[] { (byte)i }, ValueOne, now + (i == 0 ? 10 : 100), Ct));
        }

        Assert.False(await Store.StoreSubkeyAsync(DhtTier.Storage, key, new byte[] { 0xFF }, ValueOne, now + 100, Ct));
        Assert.True(await Store.StoreSubkeyAsync(DhtTier.Storage, key, new byte[] { 1 }, ValueTwo, now + 101, Ct));

        Time.Advance(TimeSpan.FromSeconds(11));
        Assert.True(await Store.StoreSubkeyAsync(DhtTier.Storage, key, new byte[] { 0xFF }, ValueOne, Now + 100, Ct));
        var entries = (await Store.GetAsync(DhtTier.Storage, key, Ct))!.Entries!;
        Assert.Equal(MaxSubkeys, entries.Count);
        Assert.DoesNotContain(entries, static e => e.Subkey.Span[0] == 0);
    }

    [Fact]
    public async Task PurgeExpired_RemovesExpiredValuesAndEntries()
    {
        var now = Now;
        var shortLived = DhtId.Random();
        var dictionary = DhtId.Random();
        var cached = DhtId.Random();
        var lasting = DhtId.Random();
        // Far enough ahead that Redis, on the real clock, cannot drop them itself before the purge counts them.
        Assert.True(await Store.StoreAsync(DhtTier.Storage, shortLived, ValueOne, now + 600, Ct));
        Assert.True(await Store.StoreSubkeyAsync(DhtTier.Storage, dictionary, SubkeyA, ValueOne, now + 600, Ct));
        Assert.True(await Store.StoreSubkeyAsync(DhtTier.Storage, dictionary, SubkeyB, ValueTwo, now + 6000, Ct));
        Assert.True(await Store.StoreAsync(DhtTier.Cache, cached, ValueOne, now + 600, Ct));
        Assert.True(await Store.StoreAsync(DhtTier.Storage, lasting, ValueOne, now + 6000, Ct));

        Time.Advance(TimeSpan.FromSeconds(601));

        Assert.Equal(3, await Store.PurgeExpiredAsync(Ct));
        Assert.Equal(0, await Store.PurgeExpiredAsync(Ct));
        Assert.Equal(2, await CountAsync(Store, DhtTier.Storage));
        Assert.Equal(0, await CountAsync(Store, DhtTier.Cache));
        Assert.Single((await Store.GetAsync(DhtTier.Storage, dictionary, Ct))!.Entries!);

        // Purged keys no longer count against the tier's bound, and rules start afresh.
        Assert.True(await Store.StoreAsync(DhtTier.Storage, shortLived, ValueTwo, Now + 1, Ct));
    }

    [Fact]
    public async Task Items_ListsLiveItemsOfOneTier()
    {
        var now = Now;
        var regular = DhtId.Random();
        var dictionary = DhtId.Random();
        var expired = DhtId.Random();
        var cached = DhtId.Random();
        Assert.True(await Store.StoreAsync(DhtTier.Storage, regular, ValueOne, now + 100, Ct));
        Assert.True(await Store.StoreSubkeyAsync(DhtTier.Storage, dictionary, SubkeyA, ValueTwo, now + 100, Ct));
        Assert.True(await Store.StoreAsync(DhtTier.Storage, expired, ValueOne, now + 10, Ct));
        Assert.True(await Store.StoreAsync(DhtTier.Cache, cached, ValueThree, now + 100, Ct));
        Time.Advance(TimeSpan.FromSeconds(11));

        var items = new Dictionary<DhtId, DhtItem>();
        await foreach (var (key, item) in Store.ItemsAsync(DhtTier.Storage, Ct))
        {
            items.Add(key, item);
        }

        Assert.Equal(2, items.Count);
        Assert.Equal(ValueOne, items[regular].Value.ToArray());
        Assert.Equal(ValueTwo, Assert.Single(items[dictionary].Entries!).Value.ToArray());

        var cache = new List<DhtId>();
        await foreach (var (key, _) in Store.ItemsAsync(DhtTier.Cache, Ct))
        {
            cache.Add(key);
        }

        Assert.Equal([cached], cache);
    }

    [Fact]
    public async Task Store_BinaryAndLargeValues_RoundTripBitExact()
    {
        var key = DhtId.Random();
        var dictionary = DhtId.Random();
        var large = new byte[MaxValueBytes];
        new Random(7).NextBytes(large);
        large[0] = 0x00;
        large[^1] = 0x00;
        byte[] zeros = [0x00, 0x00, 0xFF, 0x00];
        byte[] subkey = [0x00, 0xC0, 0x00];

        Assert.True(await Store.StoreAsync(DhtTier.Storage, key, large, Now + 60, Ct));
        Assert.True(await Store.StoreSubkeyAsync(DhtTier.Storage, dictionary, subkey, zeros, Now + 60, Ct));

        Assert.Equal(large, (await Store.GetAsync(DhtTier.Storage, key, Ct))!.Value.ToArray());
        var entry = Assert.Single((await Store.GetAsync(DhtTier.Storage, dictionary, Ct))!.Entries!);
        Assert.Equal(subkey, entry.Subkey.ToArray());
        Assert.Equal(zeros, entry.Value.ToArray());
    }

    [Fact]
    public async Task Store_Expirations_ReadBackBitExact()
    {
        var key = DhtId.Random();
        var dictionary = DhtId.Random();

        // Doubles with all 52 mantissa bits in use; 17 significant digits or fewer would not survive a decimal trip.
        var regular = BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(Now + 360.1) | 0x7);
        var entryExpiration = BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(Now + 123.456789) | 0x5);
        Assert.True(await Store.StoreAsync(DhtTier.Storage, key, ValueOne, regular, Ct));
        Assert.True(await Store.StoreSubkeyAsync(DhtTier.Storage, dictionary, SubkeyA, ValueOne, entryExpiration, Ct));

        var item = await Store.GetAsync(DhtTier.Storage, key, Ct);
        var dictionaryItem = await Store.GetAsync(DhtTier.Storage, dictionary, Ct);
        Assert.Equal(BitConverter.DoubleToInt64Bits(regular), BitConverter.DoubleToInt64Bits(item!.ExpirationTime));
        Assert.Equal(BitConverter.DoubleToInt64Bits(entryExpiration), BitConverter.DoubleToInt64Bits(dictionaryItem!.Entries![0].ExpirationTime));
        Assert.Equal(BitConverter.DoubleToInt64Bits(entryExpiration), BitConverter.DoubleToInt64Bits(dictionaryItem.ExpirationTime));

        // The next representable double is strictly later and wins; the same one does not.
        Assert.False(await Store.StoreAsync(DhtTier.Storage, key, ValueTwo, regular, Ct));
        Assert.True(await Store.StoreAsync(DhtTier.Storage, key, ValueTwo, Math.BitIncrement(regular), Ct));
        Assert.False(await Store.StoreSubkeyAsync(DhtTier.Storage, dictionary, SubkeyA, ValueTwo, entryExpiration, Ct));
        Assert.True(await Store.StoreSubkeyAsync(DhtTier.Storage, dictionary, SubkeyA, ValueTwo, Math.BitIncrement(entryExpiration), Ct));
    }

    [Fact]
    public async Task Store_InfiniteExpiration_IsKeptAndNeverSuperseded()
    {
        var key = DhtId.Random();

        Assert.True(await Store.StoreAsync(DhtTier.Storage, key, ValueOne, double.PositiveInfinity, Ct));
        Assert.False(await Store.StoreAsync(DhtTier.Storage, key, ValueTwo, double.PositiveInfinity, Ct));
        Assert.False(await Store.StoreSubkeyAsync(DhtTier.Storage, key, SubkeyA, ValueTwo, double.MaxValue, Ct));

        var item = await Store.GetAsync(DhtTier.Storage, key, Ct);
        Assert.Equal(ValueOne, item?.Value.ToArray());
        Assert.Equal(double.PositiveInfinity, item?.ExpirationTime);
    }

    protected static async Task<int> CountAsync(IDhtLocalStore store, DhtTier tier)
    {
        var count = 0;
        await foreach (var _ in store.ItemsAsync(tier, Ct))
        {
            count++;
        }

        return count;
    }
}
