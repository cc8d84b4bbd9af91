// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Hosting;
using KwaaiNet.Contracts.Node;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Contracts.Tests.Node;

public sealed class NodeOptionsTests
{
    [Fact]
    public void Bind_NoConfiguration_UsesUpstreamDefaults()
    {
        var options = Resolve([]);

        Assert.Equal("unsloth/Llama-3.1-8B-Instruct", options.Model);
        Assert.Equal(8, options.Blocks);
        Assert.Null(options.StartBlock);
        Assert.Equal(8080, options.Port);
        Assert.True(options.UseGpu);
        Assert.Equal(NodeDefaults.BootstrapPeers, options.InitialPeers);
        Assert.EndsWith(Path.Combine(".kwaainet", "identity.key"), options.EffectiveIdentityKey.Path, StringComparison.Ordinal);
        Assert.True(options.EffectiveIdentityKey.MayCreate);
    }

    [Fact]
    public void Bind_UpstreamKeyNames_AreRead()
    {
        var options = Resolve(new()
        {
            ["KwaaiNet:Node:model"] = "llama3.1:8b",
            ["KwaaiNet:Node:blocks"] = "4",
            ["KwaaiNet:Node:start_block"] = "12",
            ["KwaaiNet:Node:port"] = "0",
            ["KwaaiNet:Node:public_name"] = "alice",
            ["KwaaiNet:Node:public_ip"] = "203.0.113.7",
            ["KwaaiNet:Node:use_gpu"] = "false",
            ["KwaaiNet:Node:identity_key"] = "/etc/kwaainet/identity.key",
        });

        Assert.Equal("llama3.1:8b", options.Model);
        Assert.Equal(4, options.Blocks);
        Assert.Equal(12, options.StartBlock);
        Assert.Equal(0, options.Port);
        Assert.Equal("alice", options.EffectivePublicName);
        Assert.Equal("203.0.113.7", options.PublicIp);
        Assert.False(options.UseGpu);
        Assert.Equal(("/etc/kwaainet/identity.key", false), options.EffectiveIdentityKey);
    }

    [Theory]
    [InlineData("")]
    [InlineData("none")]
    [InlineData(" NONE ")]
    public void InitialPeers_EmptyOrNone_MeansNoPeers(string value)
    {
        var options = Resolve(new() { ["KwaaiNet:Node:initial_peers"] = value });

        Assert.Empty(options.InitialPeers);
    }

    [Fact]
    public void InitialPeers_ListReplacesDefaultsInsteadOfAppending()
    {
        var options = Resolve(new()
        {
            ["KwaaiNet:Node:initial_peers:0"] = "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq",
        });

        Assert.Equal(["/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq"], options.InitialPeers);
    }

    [Fact]
    public void InitialPeers_CommaSeparatedString_IsSplit()
    {
        var options = Resolve(new()
        {
            ["KwaaiNet:Node:initial_peers"] = "/ip4/10.0.0.1/tcp/1/p2p/QmA, /ip4/10.0.0.2/tcp/2/p2p/QmB",
        });

        Assert.Equal(["/ip4/10.0.0.1/tcp/1/p2p/QmA", "/ip4/10.0.0.2/tcp/2/p2p/QmB"], options.InitialPeers);
    }

    [Theory]
    [InlineData("blocks", "0", "KwaaiNet:Node:blocks must be between 1 and 1024 (got 0)")]
    [InlineData("blocks", "5000", "KwaaiNet:Node:blocks must be between 1 and 1024")]
    [InlineData("start_block", "-1", "KwaaiNet:Node:start_block must be between 0")]
    [InlineData("port", "70000", "KwaaiNet:Node:port must be a TCP port between 0 and 65535 (got 70000)")]
    [InlineData("public_ip", "not-an-ip", "KwaaiNet:Node:public_ip must be an IPv4 or IPv6 address (got 'not-an-ip')")]
    [InlineData("announce_addr", "203.0.113.7:8080", "KwaaiNet:Node:announce_addr must be a multiaddr")]
    [InlineData("initial_peers", "/ip4/10.0.0.1/tcp/8000", "must be a multiaddr ending in /p2p/<peer id>")]
    [InlineData("model", " ", "KwaaiNet:Node:model must name a model")]
    public void Validate_BadValue_FailsWithMessageNamingTheKey(string key, string value, string expected)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { [$"KwaaiNet:Node:{key}"] = value }));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_NonNumericBlocks_FailsWithMessageNamingTheSection()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { ["KwaaiNet:Node:blocks"] = "eight" }));

        Assert.Contains("KwaaiNet:Node", error.Message, StringComparison.Ordinal);
        Assert.Contains("eight", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_UnknownKey_FailsInsteadOfBeingIgnored()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { ["KwaaiNet:Node:start_blocks"] = "3" }));

        Assert.Contains("start_blocks", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TooManyInitialPeers_Fails()
    {
        var peers = string.Join(',', Enumerable.Range(0, 65).Select(static i => $"/ip4/10.0.0.{i}/tcp/1/p2p/QmA"));

        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { ["KwaaiNet:Node:initial_peers"] = peers }));

        Assert.Contains("at most 64", error.Message, StringComparison.Ordinal);
    }

    private static NodeOptions Resolve(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddNodeOptions();
        builder.AddNodeOptions();
        using var services = builder.Services.BuildServiceProvider();
        return services.GetRequiredService<IOptions<NodeOptions>>().Value;
    }
}
