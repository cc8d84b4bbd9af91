// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Multistream;
using KwaaiNet.Testing;

namespace KwaaiNet.Libp2p.Tests.Multistream;

public sealed class MultistreamSelectTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    // Research notes §2.4, byte vectors of single messages.
    [Theory]
    [InlineData("/multistream/1.0.0", "132f6d756c746973747265616d2f312e302e300a")]
    [InlineData("/noise", "072f6e6f6973650a")]
    [InlineData("/yamux/1.0.0", "0d2f79616d75782f312e302e300a")]
    [InlineData("/ipfs/id/1.0.0", "0f2f697066732f69642f312e302e300a")]
    [InlineData("/ipfs/ping/1.0.0", "112f697066732f70696e672f312e302e300a")]
    [InlineData("/ipfs/kad/1.0.0", "102f697066732f6b61642f312e302e300a")]
    [InlineData("na", "036e610a")]
    [InlineData("DHTProtocol.rpc_ping", "1544485450726f746f636f6c2e7270635f70696e670a")]
    public void EncodeLine_MatchesSpecBytes(string text, string hex)
    {
        var buffer = new byte[64];
        var written = MultistreamSelect.EncodeLine(text, buffer);
        Assert.Equal(hex, Convert.ToHexStringLower(buffer.AsSpan(0, written)));
    }

    [Fact]
    public async Task Select_PipelinesHeaderAndFirstProposal()
    {
        var ct = Token();
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        var select = MultistreamSelect.SelectAsync(sockets.Client, ["/noise"], ct);
        var expected = Convert.FromHexString("132f6d756c746973747265616d2f312e302e300a072f6e6f6973650a");
        var received = new byte[expected.Length];
        await sockets.Server.ReadExactlyAsync(received, ct);
        Assert.Equal(expected, received);

        await sockets.Server.WriteAsync(expected, ct);
        Assert.Equal("/noise", await select);
    }

    [Fact]
    public async Task Handle_EchoesSupportedProtocol_AfterNa_AndKeepsPipelinedBytes()
    {
        var ct = Token();
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        var handle = MultistreamSelect.HandleAsync(sockets.Server, p => p == "DHTProtocol.rpc_ping", () => ["DHTProtocol.rpc_ping"], ct);

        var selected = await MultistreamSelect.SelectAsync(sockets.Client, ["/unknown/1.0.0", "DHTProtocol.rpc_ping"], ct);
        await sockets.Client.WriteAsync("hello"u8.ToArray(), ct);

        Assert.Equal("DHTProtocol.rpc_ping", selected);
        Assert.Equal("DHTProtocol.rpc_ping", await handle);
        var after = new byte[5];
        await sockets.Server.ReadExactlyAsync(after, ct);
        Assert.Equal("hello"u8.ToArray(), after);
    }

    [Fact]
    public async Task Select_ThrowsProtocolNotSupported_WhenEveryProposalIsRefused()
    {
        var ct = Token();
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        var handle = MultistreamSelect.HandleAsync(sockets.Server, _ => false, () => [], ct);

        var error = await Assert.ThrowsAsync<ProtocolNotSupportedException>(
            () => MultistreamSelect.SelectAsync(sockets.Client, ["/a/1", "/b/1"], ct));
        Assert.Equal(["/a/1", "/b/1"], error.Protocols);

        sockets.ClientSocket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        Assert.Null(await handle);
    }

    [Fact]
    public async Task List_ReturnsTheListenersProtocols()
    {
        var ct = Token();
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        string[] supported = ["/ipfs/id/1.0.0", "/ipfs/ping/1.0.0", "DHTProtocol.rpc_find"];
        var handle = MultistreamSelect.HandleAsync(sockets.Server, supported.Contains, () => supported, ct);

        var listed = await MultistreamSelect.ListAsync(sockets.Client, ct);
        Assert.Equal(supported, listed);
        Assert.False(handle.IsCompleted);
    }

    [Fact]
    public async Task ProtocolIdOf1024Bytes_IsAccepted()
    {
        var ct = Token();
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        var id = "/" + new string('x', MultistreamSelect.MaxProtocolLength - 1);
        var handle = MultistreamSelect.HandleAsync(sockets.Server, p => p == id, () => [id], ct);
        Assert.Equal(id, await MultistreamSelect.SelectAsync(sockets.Client, [id], ct));
        Assert.Equal(id, await handle);
    }

    [Fact]
    public async Task OwnProtocolIdOver1024Bytes_IsRefusedBeforeSending()
    {
        await using var sockets = await LoopbackSockets.CreateAsync(Token());
        var id = "/" + new string('x', MultistreamSelect.MaxProtocolLength);
        await Assert.ThrowsAsync<ArgumentException>(() => MultistreamSelect.SelectAsync(sockets.Client, [id], Token()));
    }

    public static TheoryData<string, string> BadListenerInput => new()
    {
        // A valid header, then a proposal of 1025 bytes + newline: over the cap.
        { "132f6d756c746973747265616d2f312e302e300a" + "8208" + new string('a', 2 * 1025) + "0a", "exceeds the limit" },
        // An invalid varint (ten continuation bytes).
        { "ffffffffffffffffffff", "varint" },
        // A non-minimal varint (0x80 0x00).
        { "8000", "varint" },
        // The wrong header.
        { "072f6e6f6973650a", "Expected the multistream-select header" },
        // A message without its newline.
        { "03616263", "newline" },
        // Two lines in one message.
        { "132f6d756c746973747265616d2f312e302e300a" + "04610a620a", "more than one line" },
        // Invalid UTF-8.
        { "132f6d756c746973747265616d2f312e302e300a" + "03ff fe0a".Replace(" ", string.Empty, StringComparison.Ordinal), "UTF-8" },
        // Truncated inside a message, then end of stream.
        { "132f6d756c746973", "ended inside" },
    };

    [Theory]
    [MemberData(nameof(BadListenerInput))]
    public async Task Handle_RejectsBadInput_WithAReason(string hex, string reason)
    {
        var ct = Token();
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        var handle = MultistreamSelect.HandleAsync(sockets.Server, _ => true, () => [], ct);
        await sockets.Client.WriteAsync(Convert.FromHexString(hex), ct);
        sockets.ClientSocket.Shutdown(System.Net.Sockets.SocketShutdown.Send);

        var error = await Assert.ThrowsAsync<Libp2pProtocolException>(() => handle);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handle_GivesUpAfterTooManyProposals()
    {
        var ct = Token();
        await using var sockets = await LoopbackSockets.CreateAsync(ct);
        var handle = MultistreamSelect.HandleAsync(sockets.Server, _ => false, () => [], ct);
        var buffer = new byte[64];
        var header = MultistreamSelect.EncodeLine(MultistreamSelect.ProtocolId, buffer);
        await sockets.Client.WriteAsync(buffer.AsMemory(0, header), ct);
        var line = MultistreamSelect.EncodeLine("/nope", buffer);
        for (var i = 0; i < MultistreamSelect.MaxProposals + 1; i++)
        {
            await sockets.Client.WriteAsync(buffer.AsMemory(0, line), ct);
        }

        var error = await Assert.ThrowsAsync<Libp2pProtocolException>(() => handle);
        Assert.Contains("proposals", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RandomBytes_OnlyEverGiveAProtocolError()
    {
        var random = new Random(1234);
        for (var round = 0; round < 50; round++)
        {
            var ct = Token();
            await using var sockets = await LoopbackSockets.CreateAsync(ct);
            var handle = MultistreamSelect.HandleAsync(sockets.Server, _ => false, () => [], ct);
            var noise = new byte[random.Next(1, 200)];
            random.NextBytes(noise);
            await sockets.Client.WriteAsync(noise, ct);
            sockets.ClientSocket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            try
            {
                Assert.Null(await handle);
            }
            catch (Libp2pProtocolException)
            {
            }
        }
    }

    private static CancellationToken Token()
    {
        return TestTimeout.Start(Timeout).Token;
    }
}
