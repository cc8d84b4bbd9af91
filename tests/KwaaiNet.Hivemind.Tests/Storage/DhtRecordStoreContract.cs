// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Storage;
using Microsoft.Extensions.Time.Testing;

namespace KwaaiNet.Hivemind.Tests.Storage;

/// <summary>The behaviour every <see cref="IDhtRecordStore"/> shares (hivemind's DHTLocalStorage rules).</summary>
public abstract class DhtRecordStoreContract
{
    // Starts at the real time: Redis expires hashes on its own clock, so a fake clock in the past would lose them.
    protected FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    protected abstract IDhtRecordStore Store { get; }

    protected static byte[] Key(string text) => System.Text.Encoding.UTF8.GetBytes(text + Guid.NewGuid());

    [Fact]
    public async Task Store_ThenGet_ReturnsValue()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = Key("plain");
        var expires = Time.GetUtcNow().AddMinutes(6);

        Assert.True(await Store.StoreAsync(key, new DhtRecord(Array.Empty<byte>(), new byte[] { 1, 2, 3 }, expires), ct));
        var records = await Store.GetAsync(key, ct);

        var record = Assert.Single(records);
        Assert.Equal(new byte[] { 1, 2, 3 }, record.Value.ToArray());
        Assert.Empty(record.Subkey.ToArray());
        Assert.Equal(expires.ToUnixTimeMilliseconds(), record.ExpirationTime.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task Store_EarlierExpiration_IsRejectedAndKeepsTheLaterValue()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = Key("older");
        var now = Time.GetUtcNow();

        Assert.True(await Store.StoreAsync(key, new DhtRecord(Array.Empty<byte>(), new byte[] { 2 }, now.AddMinutes(10)), ct));
        Assert.False(await Store.StoreAsync(key, new DhtRecord(Array.Empty<byte>(), new byte[] { 1 }, now.AddMinutes(5)), ct));
        Assert.False(await Store.StoreAsync(key, new DhtRecord(Array.Empty<byte>(), new byte[] { 3 }, now.AddMinutes(10)), ct));
        Assert.True(await Store.StoreAsync(key, new DhtRecord(Array.Empty<byte>(), new byte[] { 4 }, now.AddMinutes(11)), ct));

        Assert.Equal(new byte[] { 4 }, Assert.Single(await Store.GetAsync(key, ct)).Value.ToArray());
    }

    [Fact]
    public async Task Store_Subkeys_AreKeptSideBySide()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = Key("dict");
        var expires = Time.GetUtcNow().AddMinutes(6);

        Assert.True(await Store.StoreAsync(key, new DhtRecord(new byte[] { 0xA1 }, new byte[] { 1 }, expires), ct));
        Assert.True(await Store.StoreAsync(key, new DhtRecord(new byte[] { 0xA2 }, new byte[] { 2 }, expires), ct));

        var records = (await Store.GetAsync(key, ct)).OrderBy(static r => r.Subkey.Span[0]).ToList();
        Assert.Equal([1, 2], records.Select(static r => (int)r.Value.Span[0]));
    }

    [Fact]
    public async Task Store_AlreadyExpired_IsRejected()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = Key("expired");

        Assert.False(await Store.StoreAsync(key, new DhtRecord(Array.Empty<byte>(), new byte[] { 1 }, Time.GetUtcNow().AddSeconds(-1)), ct));
        Assert.Empty(await Store.GetAsync(key, ct));
    }

    [Fact]
    public async Task Get_AfterExpiration_ReturnsNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = Key("ttl");
        Assert.True(await Store.StoreAsync(key, new DhtRecord(Array.Empty<byte>(), new byte[] { 1 }, Time.GetUtcNow().AddMinutes(1)), ct));

        Time.Advance(TimeSpan.FromMinutes(2));

        Assert.Empty(await Store.GetAsync(key, ct));
    }

    [Fact]
    public async Task Store_FullKey_RejectsNewSubkeyUntilOneExpires()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = Key("full");
        var now = Time.GetUtcNow();
        for (var i = 0; i < MaxSubkeys; i++)
        {
            Assert.True(await Store.StoreAsync(key, new DhtRecord(new[] { (byte)i }, new byte[] { 1 }, now.AddMinutes(i == 0 ? 1 : 10)), ct));
        }

        Assert.False(await Store.StoreAsync(key, new DhtRecord(new byte[] { 0xFF }, new byte[] { 1 }, now.AddMinutes(10)), ct));
        Time.Advance(TimeSpan.FromMinutes(2));
        Assert.True(await Store.StoreAsync(key, new DhtRecord(new byte[] { 0xFF }, new byte[] { 1 }, Time.GetUtcNow().AddMinutes(10)), ct));
        Assert.Equal(MaxSubkeys, (await Store.GetAsync(key, ct)).Count);
    }

    protected const int MaxSubkeys = 4;

    protected static DhtOptions Options => new() { MaxSubkeysPerKey = MaxSubkeys };
}
