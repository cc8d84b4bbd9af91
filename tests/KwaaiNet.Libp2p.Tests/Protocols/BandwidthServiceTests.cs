// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Multistream;
using KwaaiNet.Libp2p.Protocols;
using KwaaiNet.Libp2p.Tests.Network;

namespace KwaaiNet.Libp2p.Tests.Protocols;

public sealed class BandwidthServiceTests
{
    public static TheoryData<string> BadRequests =>
    [
        "00",               // zero bytes asked for
        "8180800800",       // 16 MiB + 1, then a stray byte
        "81808008",         // 16 MiB + 1
        "ffffffff0f",       // 2^32 - 1: longer than any allowed count
        "8000",             // a non-minimal encoding of 0
        "80",               // a count cut off after its first byte
        "",                 // no request at all
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(BandwidthService.DefaultByteCount)]
    [InlineData(BandwidthService.MaxByteCount)]
    public async Task MeasureAsync_OwnHostAnswers_ReceivesExactlyTheBytesAskedFor(int byteCount)
    {
        var ct = TestTimeout.Start().Token;
        await using var a = await TestNode.StartAsync(cancellationToken: ct);
        await using var b = await TestNode.StartAsync(cancellationToken: ct);
        BandwidthService.Register(b.Host);
        await a.Host.ConnectAsync(b.Address, ct);

        var sample = await BandwidthService.MeasureAsync(a.Host, b.PeerId, byteCount, ct);

        Assert.Equal(byteCount, sample.Bytes);
        Assert.True(sample.Elapsed > TimeSpan.Zero);
        Assert.Equal(byteCount * 8.0 / sample.Elapsed.TotalSeconds, sample.BitsPerSecond, 6);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(BandwidthService.MaxByteCount + 1)]
    public async Task MeasureAsync_CountOutOfRange_ThrowsBeforeOpeningAStream(int byteCount)
    {
        var ct = TestTimeout.Start().Token;
        await using var a = await TestNode.StartAsync(cancellationToken: ct);
        await using var b = await TestNode.StartAsync(cancellationToken: ct);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => BandwidthService.MeasureAsync(a.Host, b.PeerId, byteCount, ct));
        Assert.Empty(a.Host.Connections);
    }

    [Fact]
    public async Task MeasureAsync_PeerWithoutTheProtocol_ThrowsProtocolNotSupported()
    {
        var ct = TestTimeout.Start().Token;
        await using var a = await TestNode.StartAsync(cancellationToken: ct);
        await using var b = await TestNode.StartAsync(cancellationToken: ct);
        await a.Host.ConnectAsync(b.Address, ct);

        await Assert.ThrowsAsync<ProtocolNotSupportedException>(() => BandwidthService.MeasureAsync(a.Host, b.PeerId, 1024, ct));
    }

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequest_EndsTheStreamWithNoData_AndTheNodeKeepsServing(string hex)
    {
        var ct = TestTimeout.Start().Token;
        await using var a = await TestNode.StartAsync(cancellationToken: ct);
        await using var b = await TestNode.StartAsync(cancellationToken: ct);
        BandwidthService.Register(b.Host);
        await a.Host.ConnectAsync(b.Address, ct);

        var reply = await SendRawAsync(a, b, Convert.FromHexString(hex), ct);

        Assert.Empty(reply);
        Assert.Equal(4096, (await BandwidthService.MeasureAsync(a.Host, b.PeerId, 4096, ct)).Bytes);
    }

    [Fact]
    public async Task RequestThenExtraBytes_StillAnswersTheCount()
    {
        var ct = TestTimeout.Start().Token;
        await using var a = await TestNode.StartAsync(cancellationToken: ct);
        await using var b = await TestNode.StartAsync(cancellationToken: ct);
        BandwidthService.Register(b.Host);
        await a.Host.ConnectAsync(b.Address, ct);

        var reply = await SendRawAsync(a, b, Convert.FromHexString("8001" + "ffff"), ct);

        Assert.Equal(new byte[128], reply);
    }

    [Fact]
    public async Task PeerSendsTooFewBytes_MeasureThrowsProtocolException()
    {
        var ct = TestTimeout.Start().Token;
        await using var a = await TestNode.StartAsync(cancellationToken: ct);
        await using var b = await TestNode.StartAsync(cancellationToken: ct);
        b.Host.Protocols.Add(BandwidthService.ProtocolId, static async (stream, token) =>
        {
            await stream.Stream.ReadAtLeastAsync(new byte[4], 1, throwOnEndOfStream: false, token);
            await stream.Stream.WriteAsync(new byte[10], token);
            await stream.CompleteWritesAsync();
        });
        await a.Host.ConnectAsync(b.Address, ct);

        var error = await Assert.ThrowsAsync<Libp2pProtocolException>(() => BandwidthService.MeasureAsync(a.Host, b.PeerId, 1000, ct));
        Assert.Contains("10 of the 1000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PeerSendsTooManyBytes_MeasureThrowsProtocolException()
    {
        var ct = TestTimeout.Start().Token;
        await using var a = await TestNode.StartAsync(cancellationToken: ct);
        await using var b = await TestNode.StartAsync(cancellationToken: ct);
        b.Host.Protocols.Add(BandwidthService.ProtocolId, static async (stream, token) =>
        {
            await stream.Stream.ReadAtLeastAsync(new byte[4], 1, throwOnEndOfStream: false, token);
            await stream.Stream.WriteAsync(new byte[101], token);
            await stream.CompleteWritesAsync();
        });
        await a.Host.ConnectAsync(b.Address, ct);

        await Assert.ThrowsAsync<Libp2pProtocolException>(() => BandwidthService.MeasureAsync(a.Host, b.PeerId, 100, ct));
    }

    private static async Task<byte[]> SendRawAsync(TestNode from, TestNode to, byte[] bytes, CancellationToken ct)
    {
        await using var stream = await from.Host.OpenStreamAsync(to.PeerId, [BandwidthService.ProtocolId], ct);
        using var received = new MemoryStream();
        try
        {
            await stream.Stream.WriteAsync(bytes, ct);
            await stream.CompleteWritesAsync();
            await stream.Stream.CopyToAsync(received, ct);
        }
        catch (IOException)
        {
            // The node reset the stream: what we want from bad input.
        }

        return received.ToArray();
    }
}
