// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text;
using KwaaiNet.Contracts.Scaling;

namespace KwaaiNet.Contracts.Tests.Scaling;

public sealed class WorkerRegistrationTests
{
    [Fact]
    public void ToJson_TryParse_RoundTrips()
    {
        var registration = new WorkerRegistration("host-12-ab34cd56", new Uri("http://10.0.0.7:8091/"), 3, new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));

        Assert.True(WorkerRegistration.TryParse(registration.ToJson(), out var parsed));

        Assert.Equal(registration, parsed);
    }

    [Fact]
    public void ToJson_UsesCamelCaseNames()
    {
        var json = Encoding.UTF8.GetString(new WorkerRegistration("w", new Uri("http://127.0.0.1:1/"), 0, DateTimeOffset.UnixEpoch).ToJson());

        Assert.Contains("\"workerId\":\"w\"", json, StringComparison.Ordinal);
        Assert.Contains("\"endpoint\":\"http://127.0.0.1:1/\"", json, StringComparison.Ordinal);
        Assert.Contains("\"openSessions\":0", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("""{"workerId":"","endpoint":"http://a:1/","openSessions":0,"updatedAt":"2026-01-01T00:00:00Z"}""")]
    [InlineData("""{"workerId":"a b","endpoint":"http://a:1/","openSessions":0,"updatedAt":"2026-01-01T00:00:00Z"}""")]
    [InlineData("""{"workerId":"a:b","endpoint":"http://a:1/","openSessions":0,"updatedAt":"2026-01-01T00:00:00Z"}""")]
    [InlineData("""{"workerId":"a","endpoint":"ftp://a:1/","openSessions":0,"updatedAt":"2026-01-01T00:00:00Z"}""")]
    [InlineData("""{"workerId":"a","endpoint":"/relative","openSessions":0,"updatedAt":"2026-01-01T00:00:00Z"}""")]
    [InlineData("""{"workerId":"a","openSessions":0,"updatedAt":"2026-01-01T00:00:00Z"}""")]
    [InlineData("""{"workerId":"a","endpoint":"http://a:1/","openSessions":-1,"updatedAt":"2026-01-01T00:00:00Z"}""")]
    [InlineData("""{"workerId":"a","endpoint":"http://a:1/","openSessions":"many","updatedAt":"2026-01-01T00:00:00Z"}""")]
    public void TryParse_BadEntry_IsFalse(string json)
    {
        Assert.False(WorkerRegistration.TryParse(Encoding.UTF8.GetBytes(json), out var parsed));
        Assert.Null(parsed);
    }

    [Fact]
    public void TryParse_Oversized_IsFalse()
    {
        var id = new string('a', WorkerRegistration.MaxEncodedLength);
        var json = new WorkerRegistration(id, new Uri("http://a:1/"), 0, DateTimeOffset.UnixEpoch).ToJson();

        Assert.False(WorkerRegistration.TryParse(json, out _));
    }

    [Theory]
    [InlineData("inference-worker", true)]
    [InlineData("a.b_c-9", true)]
    [InlineData("", false)]
    [InlineData("a b", false)]
    [InlineData("a:b", false)]
    [InlineData("é", false)]
    public void IsValidName_AcceptsOnlySafeNames(string name, bool expected) =>
        Assert.Equal(expected, WorkerRegistryKeys.IsValidName(name));

    [Fact]
    public void Keys_ArePrefixedByPool()
    {
        Assert.Equal("kwaainet:pool:p:workers", WorkerRegistryKeys.Members("p"));
        Assert.Equal("kwaainet:pool:p:worker:w", WorkerRegistryKeys.Worker("p", "w"));
        Assert.Equal("kwaainet:pool:p:affinity:12D3KooW:/kwaai/inference/1.0.0", WorkerRegistryKeys.Affinity("p", "12D3KooW", "/kwaai/inference/1.0.0"));
    }
}
