// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Security.Cryptography;
using KwaaiNet.Petals.Kwaai;

namespace KwaaiNet.Petals.Tests.Kwaai;

/// <summary>The <c>/kwaai/inference/1.0.0</c> server over real loopback libp2p, against the span's sessions run directly.</summary>
public sealed class KwaaiInferenceServerTests(KwaaiServerFixture server) : IClassFixture<KwaaiServerFixture>
{
    [Fact]
    public async Task Forward_PrefillThenDecode_EqualsTheSpanSessionSteps()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefill = Input(5, seed: 1);
        var decode = Input(1, seed: 2);
        var session = NewSessionId();

        var wirePrefill = await server.First.ForwardAsync(server.ServerPeerId, session, 0, prefill, 5, ct);
        var wireDecode = await server.First.ForwardAsync(server.ServerPeerId, session, 5, decode, 1, ct);

        var direct = Direct([(prefill, 5), (decode, 1)]);
        AssertClose(direct[0], wirePrefill);
        AssertClose(direct[1], wireDecode);
    }

    [Fact]
    public async Task Forward_SeqPosBelowTheSessionLength_RewindsAndRecomputes()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefill = Input(4, seed: 3);
        var first = Input(1, seed: 4);
        var replacement = Input(1, seed: 5);
        var session = NewSessionId();

        await server.First.ForwardAsync(server.ServerPeerId, session, 0, prefill, 4, ct);
        await server.First.ForwardAsync(server.ServerPeerId, session, 4, first, 1, ct);
        var replayed = await server.First.ForwardAsync(server.ServerPeerId, session, 4, replacement, 1, ct);

        var direct = Direct([(prefill, 4), (replacement, 1)]);
        AssertClose(direct[1], replayed);
    }

    [Fact]
    public async Task Forward_SeqPosPastTheSessionLength_IsRefusedAndTheSessionGoesOn()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefill = Input(3, seed: 6);
        var decode = Input(1, seed: 7);
        var session = NewSessionId();
        await server.First.ForwardAsync(server.ServerPeerId, session, 0, prefill, 3, ct);

        var gap = await Assert.ThrowsAsync<KwaaiInferenceException>(
            () => server.First.ForwardAsync(server.ServerPeerId, session, 5, decode, 1, ct));
        var next = await server.First.ForwardAsync(server.ServerPeerId, session, 3, decode, 1, ct);

        Assert.Contains("seq_pos 5 is past the 3 tokens", gap.RemoteError, StringComparison.Ordinal);
        AssertClose(Direct([(prefill, 3), (decode, 1)])[1], next);
    }

    [Fact]
    public async Task Forward_InterleavedSessionsFromTwoPeersWithOneSessionId_StayApart()
    {
        var ct = TestContext.Current.CancellationToken;
        var session = NewSessionId();
        var (prefillA, decodeA) = (Input(3, seed: 8), Input(1, seed: 9));
        var (prefillB, decodeB) = (Input(2, seed: 10), Input(1, seed: 11));

        var a1 = await server.First.ForwardAsync(server.ServerPeerId, session, 0, prefillA, 3, ct);
        var b1 = await server.Second.ForwardAsync(server.ServerPeerId, session, 0, prefillB, 2, ct);
        var a2 = await server.First.ForwardAsync(server.ServerPeerId, session, 3, decodeA, 1, ct);
        var b2 = await server.Second.ForwardAsync(server.ServerPeerId, session, 2, decodeB, 1, ct);

        var directA = Direct([(prefillA, 3), (decodeA, 1)]);
        var directB = Direct([(prefillB, 2), (decodeB, 1)]);
        AssertClose(directA[0], a1);
        AssertClose(directA[1], a2);
        AssertClose(directB[0], b1);
        AssertClose(directB[1], b2);
    }

    [Theory]
    [InlineData("garbage", "invalid InferenceRequest")]
    [InlineData("wrong-width", "this span takes [1, seq, 64]")]
    [InlineData("two-dimensional", "this span takes [1, seq, 64]")]
    [InlineData("token-ids", "token_ids need the model's embeddings")]
    [InlineData("unknown-session", "unknown session")]
    public async Task Forward_BadRequest_GetsAnErrorResponseAndTheNextSessionWorks(string kind, string expected)
    {
        var ct = TestContext.Current.CancellationToken;
        var session = NewSessionId();
        byte[] request = kind switch
        {
            "garbage" => [0x85, 0xaa, 0x73, 0x65, 0xff],
            "wrong-width" => Encode(session, 0, [1, 1, 63], new byte[126]),
            "two-dimensional" => Encode(session, 0, [1, 64], new byte[128]),
            "token-ids" => KwaaiInferenceCodec.EncodeRequest(new(session, 0, KwaaiPayloadType.TokenIds, [2], KwaaiInferenceCodec.EncodeTokenIds([1, 2]))),
            _ => Encode(session, 3, [1, 1, 64], new byte[128]),
        };

        var response = KwaaiInferenceCodec.DecodeResponse(await server.RawCall(request, ct));
        var prefill = Input(2, seed: 12);
        var next = await server.First.ForwardAsync(server.ServerPeerId, NewSessionId(), 0, prefill, 2, ct);

        Assert.Contains(expected, response.Error, StringComparison.Ordinal);
        Assert.Empty(response.Shape);
        AssertClose(Direct([(prefill, 2)])[0], next);
    }

    [Fact]
    public async Task Forward_BinData_IsServedAsTheIntegerArrayForm()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefill = Input(2, seed: 13);
        var request = new KwaaiInferenceRequest(NewSessionId(), 0, KwaaiPayloadType.HiddenStates, [1, 2, (uint)server.Hidden], KwaaiInferenceCodec.EncodeFloat16(prefill));

        var response = KwaaiInferenceCodec.DecodeResponse(await server.RawCall(KwaaiInferenceCodec.EncodeRequest(request, KwaaiDataForm.Bin), ct));

        Assert.Null(response.Error);
        Assert.Equal(request.SessionId, response.SessionId);
        Assert.Equal([1U, 2U, (uint)server.Hidden], response.Shape);
        AssertClose(Direct([(prefill, 2)])[0], KwaaiInferenceCodec.DecodeFloat16(response.Data.Span));
    }

    private static ulong NewSessionId() => BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));

    private static byte[] Encode(ulong session, uint seqPos, uint[] shape, byte[] data) =>
        KwaaiInferenceCodec.EncodeRequest(new(session, seqPos, KwaaiPayloadType.HiddenStates, shape, data));

    /// <summary>Hidden states for <paramref name="tokens"/> tokens, already rounded to f16 so both paths see the same input.</summary>
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
            List<float[]> outputs = [];
            foreach (var (values, tokens) in steps)
            {
                outputs.Add(sessions.Step(session, values, tokens, TestContext.Current.CancellationToken));
            }

            return outputs;
        }
        finally
        {
            sessions.Close(session);
        }
    }

    /// <summary>Equal within f16's rounding of the wire (11 significant bits).</summary>
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
