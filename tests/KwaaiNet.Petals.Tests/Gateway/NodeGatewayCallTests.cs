// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Petals.Gateway;
using KwaaiNet.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace KwaaiNet.Petals.Tests.Gateway;

/// <summary>Streams and unary calls to a real libp2p peer, through the gateway in this process and through its gRPC API.</summary>
public sealed class NodeGatewayCallTests
{
    public static TheoryData<bool> Kinds => [true, false];

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task OpenStream_EchoPeer_CarriesBytesBothWays(bool local)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await GatewayNode.StartEmbeddedAsync(null, ct);
        await using var peer = await EchoPeer.StartAsync(ct);
        await Host(gateway).ConnectAsync(peer.Address, ct);
        var payload = Enumerable.Range(0, 200_000).Select(static i => (byte)(i * 7)).ToArray();

        await using var stream = await Create(gateway, local).OpenStreamAsync(peer.PeerId.ToString(), EchoPeer.EchoProtocol, ct);
        var reading = ReadAsync(stream, payload.Length, ct);
        await stream.WriteAsync(payload, ct);
        await stream.FlushAsync(ct);

        Assert.Equal(payload, await reading);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task OpenStream_ProtocolThePeerLacks_ThrowsPeerCallException(bool local)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await GatewayNode.StartEmbeddedAsync(null, ct);
        await using var peer = await EchoPeer.StartAsync(ct);
        await Host(gateway).ConnectAsync(peer.Address, ct);

        var error = await Assert.ThrowsAsync<PeerCallException>(() => Create(gateway, local).OpenStreamAsync(peer.PeerId.ToString(), "/test/absent/1.0.0", ct));

        Assert.Null(error.RemoteError);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task OpenStream_UnknownPeer_ThrowsPeerCallException(bool local)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await GatewayNode.StartEmbeddedAsync(null, ct);

        await Assert.ThrowsAsync<PeerCallException>(() => Create(gateway, local).OpenStreamAsync(RandomPeerId(), EchoPeer.EchoProtocol, ct));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task CallUnary_AnswersTheHandlersResponse(bool local)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await GatewayNode.StartEmbeddedAsync(null, ct);
        await using var peer = await EchoPeer.StartAsync(ct);
        await Host(gateway).ConnectAsync(peer.Address, ct);

        var response = await Create(gateway, local).CallUnaryAsync(peer.PeerId.ToString(), EchoPeer.ReverseProtocol, new byte[] { 1, 2, 3 }, ct);

        Assert.Equal([3, 2, 1], response.ToArray());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task CallUnary_HandlerFails_CarriesTheRemoteErrorText(bool local)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await GatewayNode.StartEmbeddedAsync(null, ct);
        await using var peer = await EchoPeer.StartAsync(ct);
        await Host(gateway).ConnectAsync(peer.Address, ct);

        var error = await Assert.ThrowsAsync<PeerCallException>(() => Create(gateway, local).CallUnaryAsync(peer.PeerId.ToString(), EchoPeer.FailProtocol, new byte[] { 1 }, ct));

        Assert.Equal(EchoPeer.FailText, error.RemoteError);
        Assert.Contains(EchoPeer.FailText, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task CallUnary_ProtocolThePeerLacks_FailsWithoutRemoteError(bool local)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await GatewayNode.StartEmbeddedAsync(null, ct);
        await using var peer = await EchoPeer.StartAsync(ct);
        await Host(gateway).ConnectAsync(peer.Address, ct);

        var error = await Assert.ThrowsAsync<PeerCallException>(() => Create(gateway, local).CallUnaryAsync(peer.PeerId.ToString(), "Test.rpc_absent", new byte[] { 1 }, ct));

        Assert.Null(error.RemoteError);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Calls_NotAPeerId_ThrowArgumentException(bool local)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await GatewayNode.StartEmbeddedAsync(null, ct);
        var nodeGateway = Create(gateway, local);

        await Assert.ThrowsAsync<ArgumentException>(() => nodeGateway.OpenStreamAsync("not-a-peer-id", EchoPeer.EchoProtocol, ct));
        await Assert.ThrowsAsync<ArgumentException>(() => nodeGateway.CallUnaryAsync(string.Empty, EchoPeer.ReverseProtocol, new byte[] { 1 }, ct));
    }

    [Fact]
    public async Task GrpcGateway_NotListening_ThrowsGatewayUnavailable()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var node = await GatewayNode.StartWithoutGatewayAsync(
            new Dictionary<string, string?> { [NodeGatewayHostingExtensions.GatewayAddressKey] = "http://127.0.0.1:" + FreeTcpPort.Next() },
            ct);
        var gateway = node.App.Services.GetRequiredService<INodeGateway>();

        await Assert.ThrowsAsync<GatewayUnavailableException>(() => gateway.OpenStreamAsync(RandomPeerId(), EchoPeer.EchoProtocol, ct));
        await Assert.ThrowsAsync<GatewayUnavailableException>(() => gateway.CallUnaryAsync(RandomPeerId(), EchoPeer.ReverseProtocol, new byte[] { 1 }, ct));
    }

    private static async Task<byte[]> ReadAsync(Stream stream, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, cancellationToken);
        return buffer;
    }

    private static Libp2p.Network.Libp2pHost Host(ModuleHost node) => node.App.Services.GetRequiredService<ILocalLibp2pNode>().Host;

    private static string RandomPeerId() => Libp2p.Identity.NodeIdentity.GenerateEd25519().PeerId.ToString();

    private static INodeGateway Create(ModuleHost gateway, bool local) => local
        ? gateway.App.Services.GetRequiredService<INodeGateway>()
        : new GrpcNodeGateway(new Contracts.Gateway.V1.Gateway.GatewayClient(gateway.Channel), NullLogger<GrpcNodeGateway>.Instance);
}
