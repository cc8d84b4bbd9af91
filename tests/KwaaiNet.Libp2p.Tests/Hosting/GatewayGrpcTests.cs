// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Gateway.V1;
using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Testing;

namespace KwaaiNet.Libp2p.Tests.Hosting;

public sealed class GatewayGrpcTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("kwaainet-gateway-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    [Fact]
    public async Task Identity_NoKeyConfigured_GeneratesEd25519IdentitySavedInHome()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(HomeSettings(), ct);
        var client = new Gateway.GatewayClient(host.Channel);

        var identity = await client.IdentityAsync(new IdentityRequest(), cancellationToken: ct);

        Assert.StartsWith("12D3KooW", identity.PeerId, StringComparison.Ordinal);
        Assert.Equal(identity.PeerId, PeerId.FromPublicKeyProtobuf(identity.PublicKey.Span).ToString());
        var saved = IdentityKeyFile.Load(Path.Combine(_home, "identity.key"));
        Assert.Equal(KeyType.Ed25519, saved.KeyType);
        Assert.Equal(identity.PeerId, saved.PeerId.ToString());
        Assert.Equal(saved.PublicKeyProtobuf.ToArray(), identity.PublicKey.ToByteArray());
    }

    [Fact]
    public async Task Identity_SecondHostSameHome_ReturnsPersistedPeerId()
    {
        var ct = TestContext.Current.CancellationToken;
        string first;
        await using (var host = await StartAsync(HomeSettings(), ct))
        {
            first = (await new Gateway.GatewayClient(host.Channel).IdentityAsync(new IdentityRequest(), cancellationToken: ct)).PeerId;
        }

        await using var restarted = await StartAsync(HomeSettings(), ct);
        var second = await new Gateway.GatewayClient(restarted.Channel).IdentityAsync(new IdentityRequest(), cancellationToken: ct);

        Assert.Equal(first, second.PeerId);
    }

    [Fact]
    public async Task Identity_ExplicitKeyFile_UsesThatKey()
    {
        var ct = TestContext.Current.CancellationToken;
        var expected = NodeIdentity.GenerateEd25519();
        var keyPath = Path.Combine(_home, "operator.key");
        IdentityKeyFile.Create(keyPath, expected);
        var settings = HomeSettings();
        settings["KwaaiNet:Node:identity_key"] = keyPath;
        await using var host = await StartAsync(settings, ct);

        var identity = await new Gateway.GatewayClient(host.Channel).IdentityAsync(new IdentityRequest(), cancellationToken: ct);

        Assert.Equal(expected.PeerId.ToString(), identity.PeerId);
        Assert.False(File.Exists(Path.Combine(_home, "identity.key")));
    }

    [Fact]
    public async Task Identity_PublicIpConfigured_AnnouncesTcpAddress()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = HomeSettings();
        settings["KwaaiNet:Node:public_ip"] = "203.0.113.7";
        settings["KwaaiNet:Node:port"] = "4001";
        await using var host = await StartAsync(settings, ct);

        var identity = await new Gateway.GatewayClient(host.Channel).IdentityAsync(new IdentityRequest(), cancellationToken: ct);

        Assert.Equal(["/ip4/203.0.113.7/tcp/4001"], identity.AnnounceAddrs);
    }

    [Fact]
    public async Task Identity_AnnounceAddrAndPublicIp_AnnounceAddrWins()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = HomeSettings();
        settings["KwaaiNet:Node:public_ip"] = "203.0.113.7";
        settings["KwaaiNet:Node:announce_addr"] = "/dns4/node.example.org/tcp/8080";
        await using var host = await StartAsync(settings, ct);

        var identity = await new Gateway.GatewayClient(host.Channel).IdentityAsync(new IdentityRequest(), cancellationToken: ct);

        Assert.Equal(["/dns4/node.example.org/tcp/8080"], identity.AnnounceAddrs);
    }

    [Fact]
    public async Task Identity_NothingToAnnounce_ReportsAgentVersionAndNoAddrs()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(HomeSettings(), ct);

        var identity = await new Gateway.GatewayClient(host.Channel).IdentityAsync(new IdentityRequest(), cancellationToken: ct);

        Assert.StartsWith("kwaainet-aspire/", identity.AgentVersion, StringComparison.Ordinal);
        Assert.Equal(AgentVersion.Value, identity.AgentVersion);
        Assert.Empty(identity.AnnounceAddrs);
    }

    [Fact]
    public async Task Start_ExplicitKeyMissing_FailsNamingPathAndCreatesNoFile()
    {
        var ct = TestContext.Current.CancellationToken;
        var keyPath = Path.Combine(_home, "keys", "missing.key");
        var settings = HomeSettings();
        settings["KwaaiNet:Node:identity_key"] = keyPath;

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => StartAsync(settings, ct));

        Assert.Contains(keyPath, error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(keyPath));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_home));
    }

    private Dictionary<string, string?> HomeSettings() => new() { ["KwaaiNet:Node:home"] = _home };

    private static Task<ModuleHost> StartAsync(Dictionary<string, string?> settings, CancellationToken cancellationToken) =>
        ModuleHost.StartAsync(static b => b.AddP2PGateway(), static a => a.MapP2PGateway(), settings, cancellationToken);
}
