// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Petals.Client;
using KwaaiNet.Petals.Kwaai;
using KwaaiNet.Petals.Tests.Kwaai;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Tests.Client;

/// <summary>
/// <see cref="KwaaiSpanSession"/>s against a real <c>/kwaai/inference/1.0.0</c> server over loopback libp2p: steps at
/// their positions, a replay from position 0, session ids handed back and reused, refusals as
/// <see cref="RemoteSpanException"/>s.
/// </summary>
public sealed class KwaaiSpanSessionTests(KwaaiServerFixture server) : IClassFixture<KwaaiServerFixture>
{
    [Fact]
    public async Task Steps_EqualTheSpan_AndAnEndedSessionsIdStartsOverInTheNextSession()
    {
        var ct = TestContext.Current.CancellationToken;
        var factory = Factory();
        var span = new RouteSpan(server.ServerPeerId, 0, server.Span.End);
        var prefill = Input(4, seed: 1);
        var decode = Input(1, seed: 2);
        var other = Input(2, seed: 3);

        var first = (KwaaiSpanSession)await factory.OpenAsync(span, "tiny", 32, ct);
        var prefillOut = await first.StepAsync(prefill, 4, 0, ct);
        var decodeOut = await first.StepAsync(decode, 1, 4, ct);
        var replayed = await first.StepAsync([.. prefill, .. decode], 5, 0, ct);
        await first.DisposeAsync();
        var idle = factory.IdleIds(server.ServerPeerId);
        var second = (KwaaiSpanSession)await factory.OpenAsync(span, "tiny", 32, ct);
        var otherOut = await second.StepAsync(other, 2, 0, ct);

        var direct = Direct([(prefill, 4), (decode, 1)]);
        AssertClose(direct[0], prefillOut);
        AssertClose(direct[1], decodeOut);
        AssertClose([.. direct[0], .. direct[1]], replayed);
        Assert.Equal(1, idle);
        Assert.Equal(first.SessionId, second.SessionId);
        Assert.Equal(0, factory.IdleIds(server.ServerPeerId));
        AssertClose(Direct([(other, 2)])[0], otherOut);
        await second.DisposeAsync();
    }

    [Fact]
    public async Task Step_RefusedByTheServer_IsARemoteSpanException_TheSessionStaysFailedAndItsIdIsDropped()
    {
        var ct = TestContext.Current.CancellationToken;
        var factory = Factory();
        var session = await factory.OpenAsync(new RouteSpan(server.ServerPeerId, 0, server.Span.End), "tiny", 32, ct);
        var input = Input(1, seed: 4);

        // A new session must start at position 0: the server answers with an error in-band.
        var refused = await Assert.ThrowsAsync<RemoteSpanException>(() => session.StepAsync(input, 1, 3, ct));
        var again = await Assert.ThrowsAsync<RemoteSpanException>(() => session.StepAsync(input, 1, 0, ct));
        await session.DisposeAsync();

        Assert.Contains("unknown session", refused.Message, StringComparison.Ordinal);
        Assert.IsType<KwaaiInferenceException>(refused.InnerException);
        Assert.Contains("has failed before", again.Message, StringComparison.Ordinal);
        Assert.Equal(0, factory.IdleIds(server.ServerPeerId));
    }

    [Fact]
    public async Task Step_BadArguments_Throw()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var session = await Factory().OpenAsync(new RouteSpan(server.ServerPeerId, 0, 1), "tiny", 8, ct);

        await Assert.ThrowsAsync<ArgumentException>(() => session.StepAsync(new float[5], 2, 0, ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => session.StepAsync(new float[4], 0, 0, ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => session.StepAsync(new float[4], 1, -1, ct));
    }

    private KwaaiSpanSessionFactory Factory() => new(server.First, Options.Create(new ClientOptions()));

    /// <summary>Hidden states already rounded to f16, so the wire and the direct path see the same input.</summary>
    private float[] Input(int tokens, int seed)
    {
        var random = new Random(seed);
        var values = new float[tokens * server.Hidden];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return KwaaiInferenceCodec.DecodeFloat16(KwaaiInferenceCodec.EncodeFloat16(values));
    }

    /// <summary>The same steps through a session opened directly on the served span.</summary>
    private List<float[]> Direct(IReadOnlyList<(float[] Values, int Tokens)> steps)
    {
        var sessions = server.Span.Sessions;
        var session = sessions.Open(16);
        try
        {
            return [.. steps.Select(s => sessions.Step(session, s.Values, s.Tokens, TestContext.Current.CancellationToken))];
        }
        finally
        {
            sessions.Close(session);
        }
    }

    /// <summary>Equal within f16's rounding of the wire.</summary>
    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var tolerance = 1e-3f * MathF.Max(1f, MathF.Abs(expected[i]));
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= tolerance, $"value {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
