// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Petals.Client;
using Microsoft.Extensions.Time.Testing;

namespace KwaaiNet.Petals.Tests.Client;

public sealed class ServerBansTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly ServerBans _bans;

    public ServerBansTests() => _bans = new ServerBans(TimeSpan.FromSeconds(15), _time);

    [Fact]
    public void RegisterFailure_BansFor15sThenDoubles()
    {
        Assert.Equal(TimeSpan.FromSeconds(15), _bans.RegisterFailure("a"));
        Assert.True(_bans.IsBanned("a"));
        _time.Advance(TimeSpan.FromSeconds(14.9));
        Assert.True(_bans.IsBanned("a"));
        _time.Advance(TimeSpan.FromSeconds(0.2));
        Assert.False(_bans.IsBanned("a"));

        Assert.Equal(TimeSpan.FromSeconds(30), _bans.RegisterFailure("a"));
        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(TimeSpan.FromSeconds(60), _bans.RegisterFailure("a"));
        Assert.Equal(new HashSet<string> { "a" }, _bans.Banned());
    }

    [Fact]
    public void RegisterFailure_WhileBanned_NeitherExtendsNorCounts()
    {
        _bans.RegisterFailure("a");
        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(TimeSpan.Zero, _bans.RegisterFailure("a"));
        _time.Advance(TimeSpan.FromSeconds(6));
        Assert.False(_bans.IsBanned("a"));
        Assert.Equal(TimeSpan.FromSeconds(30), _bans.RegisterFailure("a"));
    }

    [Fact]
    public void RegisterSuccess_LiftsTheBanAndResetsTheBackoff()
    {
        _bans.RegisterFailure("a");
        _time.Advance(TimeSpan.FromSeconds(20));
        _bans.RegisterFailure("a");

        _bans.RegisterSuccess("a");

        Assert.False(_bans.IsBanned("a"));
        Assert.Equal(TimeSpan.FromSeconds(15), _bans.RegisterFailure("a"));
    }

    [Fact]
    public void Bans_ArePerServer()
    {
        _bans.RegisterFailure("a");

        Assert.False(_bans.IsBanned("b"));
        Assert.Equal(TimeSpan.FromSeconds(15), _bans.RegisterFailure("b"));
    }

    [Fact]
    public void ZeroBaseTime_BansNothing()
    {
        var bans = new ServerBans(TimeSpan.Zero, _time);

        Assert.Equal(TimeSpan.Zero, bans.RegisterFailure("a"));
        Assert.False(bans.IsBanned("a"));
    }
}
