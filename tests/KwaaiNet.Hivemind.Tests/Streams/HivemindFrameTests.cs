// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf;
using KwaaiNet.Hivemind.Protos;
using KwaaiNet.Hivemind.Streams;

namespace KwaaiNet.Hivemind.Tests.Streams;

/// <summary>hivemind's stream frames against the bytes in the research notes (petals-protocol.md §3.2).</summary>
public sealed class HivemindFrameTests
{
    [Fact]
    public async Task EmptyExpertRequest_MatchesTheVector()
    {
        var bytes = await WriteAsync((s, ct) => HivemindFrameWriter.WriteMessageAsync(s, new ExpertRequest(), ct));

        Assert.Equal("000000000000000000", Convert.ToHexStringLower(bytes));
    }

    [Fact]
    public async Task EndOfStream_MatchesTheVector()
    {
        var bytes = await WriteAsync(HivemindFrameWriter.WriteEndOfStreamAsync);

        Assert.Equal("010000000000000000", Convert.ToHexStringLower(bytes));
    }

    [Fact]
    public async Task Error_MatchesTheVector()
    {
        var bytes = await WriteAsync((s, ct) => HivemindFrameWriter.WriteErrorAsync(s, "boom", ct));

        Assert.Equal("010000000000000006" + "0a04626f6f6d", Convert.ToHexStringLower(bytes));
    }

    [Fact]
    public async Task ErrorWithEmptyText_KeepsTheMessageField()
    {
        var bytes = await WriteAsync((s, ct) => HivemindFrameWriter.WriteErrorAsync(s, string.Empty, ct));

        Assert.Equal("010000000000000002" + "0a00", Convert.ToHexStringLower(bytes));
    }

    [Fact]
    public async Task Reader_ReadsTheVectorsBack()
    {
        var reader = Reader("000000000000000000" + "010000000000000006" + "0a04626f6f6d" + "010000000000000002" + "0a00" + "010000000000000000");

        var request = await reader.ReadAsync(TestContext.Current.CancellationToken);
        var boom = await reader.ReadAsync(TestContext.Current.CancellationToken);
        var empty = await reader.ReadAsync(TestContext.Current.CancellationToken);
        var end = await reader.ReadAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HivemindFrameKind.Message, request!.Kind);
        Assert.Equal(new ExpertRequest(), request.ParseMessage(ExpertRequest.Parser));
        Assert.Equal("boom", boom!.ParseError().Message);
        Assert.True(empty!.ParseError().HasMessage);
        Assert.Equal(string.Empty, empty.ParseError().Message);
        Assert.Equal(HivemindFrameKind.Error, end!.Kind);
        Assert.False(end.ParseError().HasMessage);
        Assert.Null(await reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.False(reader.EndedMidFrame);
    }

    [Fact]
    public async Task Messages_RoundTrip()
    {
        var requests = new[]
        {
            new ExpertRequest { Uid = "bigscience/bloom-560m.3", Metadata = ByteString.CopyFrom(1, 2, 3) },
            new ExpertRequest { Uid = "x", Tensors = { new Tensor { Dtype = "float32", Size = { 0u } } } },
        };
        using var stream = new MemoryStream();
        foreach (var request in requests)
        {
            await HivemindFrameWriter.WriteMessageAsync(stream, request, TestContext.Current.CancellationToken);
        }

        await HivemindFrameWriter.WriteErrorAsync(stream, "failed", TestContext.Current.CancellationToken);
        stream.Position = 0;
        var reader = new HivemindFrameReader(stream);

        Assert.Equal(requests[0], (await reader.ReadAsync(TestContext.Current.CancellationToken))!.ParseMessage(ExpertRequest.Parser));
        Assert.Equal(requests[1], (await reader.ReadAsync(TestContext.Current.CancellationToken))!.ParseMessage(ExpertRequest.Parser));
        Assert.Equal("failed", (await reader.ReadAsync(TestContext.Current.CancellationToken))!.ParseError().Message);
        Assert.Null(await reader.ReadAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Reader_ReadsAFrameDeliveredOneByteAtATime()
    {
        using var stream = new OneByteStream(Convert.FromHexString("010000000000000006" + "0a04626f6f6d"));
        var reader = new HivemindFrameReader(stream);

        var frame = await reader.ReadAsync(TestContext.Current.CancellationToken);

        Assert.Equal("boom", frame!.ParseError().Message);
    }

    [Theory]
    [InlineData("02")]
    [InlineData("ff")]
    [InlineData("0a")]
    public async Task Reader_RefusesAnUnknownMarker(string marker)
    {
        var reader = Reader(marker + "0000000000000000");

        var exception = await Assert.ThrowsAsync<HivemindFrameException>(async () => await reader.ReadAsync(TestContext.Current.CancellationToken));

        Assert.Contains("0x" + marker, exception.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<FormatException>(exception);
    }

    [Theory]
    [InlineData("00" + "0000000000000011", 16)]
    [InlineData("00" + "0000000004000001", HivemindFrameReader.DefaultMaxPayloadLength)]
    [InlineData("01" + "ffffffffffffffff", HivemindFrameReader.DefaultMaxPayloadLength)]
    public async Task Reader_RefusesALengthAboveTheLimit(string header, long limit)
    {
        var reader = Reader(header, limit);

        var exception = await Assert.ThrowsAsync<HivemindFrameException>(async () => await reader.ReadAsync(TestContext.Current.CancellationToken));

        Assert.Contains(limit.ToString(System.Globalization.CultureInfo.InvariantCulture), exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reader_AcceptsALengthAtTheLimit()
    {
        var reader = Reader("00" + "0000000000000002" + "0a00", 2);

        var frame = await reader.ReadAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2, frame!.Payload.Length);
    }

    [Theory]
    [InlineData("00")]
    [InlineData("0000000000")]
    [InlineData("0100000000000000")]
    [InlineData("010000000000000006" + "0a04")]
    [InlineData("000000000000000001")]
    public async Task Reader_EndsAtATruncatedFrame(string hex)
    {
        var reader = Reader(hex);

        Assert.Null(await reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.True(reader.EndedMidFrame);
    }

    [Fact]
    public async Task Reader_EndsCleanlyOnAnEmptyStream()
    {
        var reader = Reader(string.Empty);

        Assert.Null(await reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.False(reader.EndedMidFrame);
    }

    [Fact]
    public async Task Reader_EndsAfterAWholeFrameThenATruncatedOne()
    {
        var reader = Reader("000000000000000000" + "0000");

        Assert.NotNull(await reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.False(reader.EndedMidFrame);
        Assert.Null(await reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.True(reader.EndedMidFrame);
    }

    [Fact]
    public void ParseMessage_RefusesAnErrorFrame()
    {
        var frame = new HivemindFrame(HivemindFrameKind.Error, ReadOnlyMemory<byte>.Empty);

        Assert.Throws<InvalidOperationException>(() => frame.ParseMessage(ExpertRequest.Parser));
    }

    [Fact]
    public void Reader_RefusesANegativeLimit()
    {
        using var stream = new MemoryStream();

        Assert.Throws<ArgumentOutOfRangeException>(() => new HivemindFrameReader(stream, -1));
    }

    private static HivemindFrameReader Reader(string hex, long limit = HivemindFrameReader.DefaultMaxPayloadLength) =>
        new(new MemoryStream(Convert.FromHexString(hex)), limit);

    private static async Task<byte[]> WriteAsync(Func<Stream, CancellationToken, ValueTask> write)
    {
        using var stream = new MemoryStream();
        await write(stream, TestContext.Current.CancellationToken);
        return stream.ToArray();
    }

    /// <summary>A stream that returns at most one byte per read, as a network stream may.</summary>
    private sealed class OneByteStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }
}
