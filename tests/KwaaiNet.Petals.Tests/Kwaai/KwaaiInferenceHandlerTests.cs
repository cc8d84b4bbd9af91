// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Serving;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Protocols;
using KwaaiNet.Petals.Kwaai;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace KwaaiNet.Petals.Tests.Kwaai;

/// <summary>The handler's session lifetime and limits, on the fixture's served span with a fake clock.</summary>
public sealed class KwaaiInferenceHandlerTests(KwaaiServerFixture server) : IClassFixture<KwaaiServerFixture>
{
    private static readonly PeerId Alice = NodeIdentity.GenerateEd25519().PeerId;
    private static readonly PeerId Bob = NodeIdentity.GenerateEd25519().PeerId;

    [Fact]
    public async Task HandleAsync_WhileTheWorkerHasNoSpan_AnswersUpstreamsWarmingUpError()
    {
        using var handler = Handler(new NoSpan(), new KwaaiInferenceOptions(), TimeProvider.System);

        var response = await CallAsync(handler, Alice, 42, 0, tokens: 1);

        Assert.StartsWith("node warming up — model loading in background", response.Error, StringComparison.Ordinal);
        Assert.Contains("loading blocks [0, 2) of tiny", response.Error, StringComparison.Ordinal);
        Assert.Equal(42UL, response.SessionId);
    }

    [Fact]
    public async Task SweepIdle_AfterTheIdleTimeout_ClosesTheSessionAndFreesItsCache()
    {
        var time = new FakeTimeProvider();
        var budget = server.Span.Sessions.CacheTokensLeft;
        using var handler = Handler(server.Spans, new KwaaiInferenceOptions { IdleTimeout = TimeSpan.FromMinutes(1), SessionMaxLength = 32 }, time);

        Assert.Null((await CallAsync(handler, Alice, 7, 0, tokens: 2)).Error);
        time.Advance(TimeSpan.FromSeconds(40));
        var beforeExpiry = await CallAsync(handler, Alice, 7, 2, tokens: 1);
        var heldBefore = budget - server.Span.Sessions.CacheTokensLeft;
        time.Advance(TimeSpan.FromSeconds(61));
        var afterExpiry = await CallAsync(handler, Alice, 7, 3, tokens: 1);

        Assert.Null(beforeExpiry.Error);
        Assert.Equal(32, heldBefore);
        Assert.Contains("unknown session 7", afterExpiry.Error, StringComparison.Ordinal);
        Assert.Equal(0, handler.OpenSessionCount);
        Assert.Equal(budget, server.Span.Sessions.CacheTokensLeft);
    }

    [Fact]
    public async Task HandleAsync_PeerAtItsSessionCap_IsRefusedWhileAnotherPeerIsServed()
    {
        using var handler = Handler(server.Spans, new KwaaiInferenceOptions { MaxSessionsPerPeer = 2, SessionMaxLength = 16 }, TimeProvider.System);

        var first = await CallAsync(handler, Alice, 1, 0, tokens: 1);
        var second = await CallAsync(handler, Alice, 2, 0, tokens: 1);
        var third = await CallAsync(handler, Alice, 3, 0, tokens: 1);
        var other = await CallAsync(handler, Bob, 3, 0, tokens: 1);
        var existing = await CallAsync(handler, Alice, 1, 1, tokens: 1);

        Assert.Null(first.Error);
        Assert.Null(second.Error);
        Assert.Contains("the most allowed (2)", third.Error, StringComparison.Ordinal);
        Assert.Null(other.Error);
        Assert.Null(existing.Error);
        Assert.Equal(3, handler.OpenSessionCount);
    }

    [Fact]
    public async Task HandleAsync_StepBeyondTheSessionLength_IsRefused()
    {
        using var handler = Handler(server.Spans, new KwaaiInferenceOptions { SessionMaxLength = 4 }, TimeProvider.System);

        var full = await CallAsync(handler, Alice, 9, 0, tokens: 5);

        Assert.Contains("do not fit", full.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispose_ClosesEverySession()
    {
        var budget = server.Span.Sessions.CacheTokensLeft;
        var handler = Handler(server.Spans, new KwaaiInferenceOptions { SessionMaxLength = 16 }, TimeProvider.System);
        await CallAsync(handler, Alice, 5, 0, tokens: 1);
        await CallAsync(handler, Bob, 5, 0, tokens: 1);

        handler.Dispose();

        Assert.Equal(0, handler.OpenSessionCount);
        Assert.Equal(budget, server.Span.Sessions.CacheTokensLeft);
    }

    private static KwaaiInferenceHandler Handler(IServedSpanProvider spans, KwaaiInferenceOptions options, TimeProvider time) =>
        new(spans, Options.Create(options), time, NullLogger<KwaaiInferenceHandler>.Instance);

    private async Task<KwaaiInferenceResponse> CallAsync(KwaaiInferenceHandler handler, PeerId caller, ulong session, uint seqPos, int tokens)
    {
        var data = KwaaiInferenceCodec.EncodeFloat16(new float[tokens * server.Hidden]);
        var request = KwaaiInferenceCodec.EncodeRequest(new(session, seqPos, KwaaiPayloadType.HiddenStates, [1, (uint)tokens, (uint)server.Hidden], data));
        var result = await handler.HandleAsync(new UnaryRequest(caller, KwaaiInferenceCodec.Protocol, request), TestContext.Current.CancellationToken);
        Assert.Null(result.Error);
        return KwaaiInferenceCodec.DecodeResponse(result.Response!.Value.Span);
    }

    /// <summary>A worker that is still loading its span.</summary>
    private sealed class NoSpan : IServedSpanProvider
    {
        public ServedSpan? Current => null;

        public string StateDetail => "loading blocks [0, 2) of tiny";
    }
}
