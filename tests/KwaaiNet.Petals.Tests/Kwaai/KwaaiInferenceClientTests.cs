// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Protocols;
using KwaaiNet.Petals.Kwaai;
using Microsoft.Extensions.Logging.Abstractions;

namespace KwaaiNet.Petals.Tests.Kwaai;

public sealed class KwaaiInferenceClientTests
{
    private const string Peer = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";

    private static readonly float[] OneToken = [1f, 2f];

    private static readonly float[] TwoTokens = [1f, 2f, 3f, 4f];

    private static readonly byte[] Success = KwaaiInferenceCodec.EncodeResponse(
        new KwaaiInferenceResponse(3, KwaaiResponseType.HiddenStates, [1, 1, 2], KwaaiInferenceCodec.EncodeFloat16([0.5f, 4f]), null));

    [Fact]
    public async Task ForwardAsync_TwoTransientFailures_RetriesAndSucceeds()
    {
        var calls = 0;
        var client = Client((_, _, _, _) => ++calls <= 2 ? throw new IOException("stream reset by peer") : Task.FromResult<ReadOnlyMemory<byte>>(Success));

        var output = await client.ForwardAsync(Peer, 3, 0, OneToken, 1, TestContext.Current.CancellationToken);

        Assert.Equal(3, calls);
        Assert.Equal([0.5f, 4f], output);
    }

    [Fact]
    public async Task CallAsync_ThreeTransientFailures_GivesUpAfterTwoRetries()
    {
        var calls = 0;
        var client = Client((_, _, _, _) =>
        {
            calls++;
            throw new InvalidOperationException("early eof");
        });

        await Assert.ThrowsAsync<InvalidOperationException>(() => client.CallAsync(Peer, Request(), TestContext.Current.CancellationToken));

        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task CallAsync_RemoteHandlerError_IsNotRetried()
    {
        var calls = 0;
        var client = Client((_, _, _, _) =>
        {
            calls++;
            throw new UnaryCallException("ValueError('boom')");
        });

        await Assert.ThrowsAsync<UnaryCallException>(() => client.CallAsync(Peer, Request(), TestContext.Current.CancellationToken));

        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task CallAsync_ErrorResponse_ThrowsWithTheRemoteTextWithoutRetrying()
    {
        var calls = 0;
        var failure = KwaaiInferenceCodec.EncodeResponse(KwaaiInferenceResponse.Failure(0, "node warming up — model loading in background"));
        var client = Client((_, _, _, _) =>
        {
            calls++;
            return Task.FromResult<ReadOnlyMemory<byte>>(failure);
        });

        var error = await Assert.ThrowsAsync<KwaaiInferenceException>(() => client.CallAsync(Peer, Request(), TestContext.Current.CancellationToken));

        Assert.Equal(1, calls);
        Assert.Equal("node warming up — model loading in background", error.RemoteError);
    }

    [Fact]
    public async Task CallAsync_UnreadableResponse_ThrowsNamingTheField()
    {
        var client = Client((_, _, _, _) => Task.FromResult<ReadOnlyMemory<byte>>(new byte[] { 0x81, 0xa5, 0x73, 0x68, 0x61, 0x70, 0x65, 0x01 }));

        var error = await Assert.ThrowsAsync<KwaaiInferenceException>(() => client.CallAsync(Peer, Request(), TestContext.Current.CancellationToken));

        Assert.Contains("InferenceResponse.shape", error.Message, StringComparison.Ordinal);
        Assert.Null(error.RemoteError);
    }

    [Fact]
    public async Task ForwardAsync_ResponseOfAnotherShape_IsRefused()
    {
        var client = Client((_, _, _, _) => Task.FromResult<ReadOnlyMemory<byte>>(Success));

        var error = await Assert.ThrowsAsync<KwaaiInferenceException>(
            () => client.ForwardAsync(Peer, 3, 0, TwoTokens, 2, TestContext.Current.CancellationToken));

        Assert.Contains("not hidden states [1, 2, 2]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallAsync_SendsUpstreamsProtocolAndIntegerArrayData()
    {
        (string Peer, string Protocol, byte[] Bytes)? seen = null;
        var client = Client((peer, protocol, request, _) =>
        {
            seen = (peer, protocol, request.ToArray());
            return Task.FromResult<ReadOnlyMemory<byte>>(Success);
        });

        await client.CallAsync(Peer, Request(), TestContext.Current.CancellationToken);

        Assert.Equal((Peer, "/kwaai/inference/1.0.0"), (seen!.Value.Peer, seen.Value.Protocol));
        Assert.Equal(KwaaiInferenceCodec.EncodeRequest(Request(), KwaaiDataForm.IntegerArray), seen.Value.Bytes);
    }

    [Theory]
    [InlineData("stream reset", true)]
    [InlineData("Connection closed by the peer", true)]
    [InlineData("Response channel closed", true)]
    [InlineData("ValueError('boom')", false)]
    public void IsTransient_FollowsUpstreamsTexts(string message, bool transient)
    {
        Assert.Equal(transient, KwaaiInferenceClient.IsTransient(new InvalidOperationException(message)));
    }

    [Fact]
    public void IsTransient_WrappedIOException_IsTransient()
    {
        Assert.True(KwaaiInferenceClient.IsTransient(new InvalidOperationException("call failed", new IOException("reset"))));
    }

    private static KwaaiInferenceRequest Request() =>
        new(3, 0, KwaaiPayloadType.HiddenStates, [1, 1, 2], KwaaiInferenceCodec.EncodeFloat16([1f, 2f]));

    private static KwaaiInferenceClient Client(Func<string, string, ReadOnlyMemory<byte>, CancellationToken, Task<ReadOnlyMemory<byte>>> call) =>
        new(call, TimeProvider.System, NullLogger<KwaaiInferenceClient>.Instance, [TimeSpan.Zero, TimeSpan.Zero], KwaaiDataForm.IntegerArray);
}
