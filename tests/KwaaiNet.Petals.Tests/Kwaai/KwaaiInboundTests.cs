// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using KwaaiNet.Contracts.Inbound.V1;
using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Hosting;
using KwaaiNet.Inference.Serving;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Petals.Hosting;
using KwaaiNet.Petals.Kwaai;
using KwaaiNet.Testing;
using KwaaiNet.Testing.Inference;
using Microsoft.Extensions.DependencyInjection;

namespace KwaaiNet.Petals.Tests.Kwaai;

/// <summary>
/// <c>/kwaai/inference/1.0.0</c> on a worker in its own process (no libp2p node: AddInferenceWorker and AddPetalsServer,
/// as the inference-worker service composes them), called through its gRPC <c>InboundHandler</c> as the p2p-gateway's
/// inbound route calls it.
/// </summary>
public sealed class KwaaiInboundTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kwaainet-inbound-").FullName;
    private ModuleHost? _worker;
    private ServedSpan _span = null!;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(_folder, "tiny.gguf");
        TinyLlamaGguf.Write(path, GgmlType.F32, seed: 23, TinyLlamaGguf.Default with { LayerCount = 2 });
        _worker = await ModuleHost.StartAsync(
            static b =>
            {
                b.AddInferenceWorker();
                b.AddPetalsServer();
            },
            static a =>
            {
                a.MapInferenceWorker();
                a.MapPetalsServer();
            },
            new Dictionary<string, string?>
            {
                ["KwaaiNet:Node:model"] = "tiny",
                ["KwaaiNet:Node:use_gpu"] = "false",
                ["KwaaiNet:Node:start_block"] = "0",
                ["KwaaiNet:Node:blocks"] = "2",
                ["KwaaiNet:Inference:ModelPath"] = path,
                ["KwaaiNet:Inference:OllamaModels"] = Path.Combine(_folder, "no-ollama-store"),
                ["KwaaiNet:Inference:Threads"] = "1",
                ["KwaaiNet:Inference:ThroughputWarmupSteps"] = "1",
                ["KwaaiNet:Inference:ThroughputSteps"] = "2",
            },
            ct);
        var spans = _worker.App.Services.GetRequiredService<IServedSpanProvider>();
        await Poll.UntilAsync(() => spans.Current is not null, ct, TimeSpan.FromSeconds(60));
        _span = spans.Current!;
    }

    public async ValueTask DisposeAsync()
    {
        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // The model file may still be mapped while the worker shuts down; the temp folder is cleaned by the system.
        }
    }

    [Fact]
    public async Task HandleUnary_KwaaiInference_RunsTheSpanInTheCallersSession()
    {
        var ct = TestContext.Current.CancellationToken;
        var inbound = new InboundHandler.InboundHandlerClient(_worker!.Channel);
        var (alice, bob) = (NodeIdentity.GenerateEd25519().PeerId.ToBase58(), NodeIdentity.GenerateEd25519().PeerId.ToBase58());
        var prefill = Input(3, seed: 1);
        var decode = Input(1, seed: 2);

        var first = await CallAsync(inbound, alice, Request(7, 0, prefill, 3), ct);
        var otherCaller = await CallAsync(inbound, bob, Request(7, 3, decode, 1), ct);
        var next = await CallAsync(inbound, alice, Request(7, 3, decode, 1), ct);

        Assert.Null(first.Error);
        Assert.Equal([1U, 3U, (uint)_span.Config.HiddenSize], first.Shape);
        Assert.Null(next.Error);
        var direct = Direct([(prefill, 3), (decode, 1)]);
        AssertClose(direct[0], KwaaiInferenceCodec.DecodeFloat16(first.Data.Span));
        AssertClose(direct[1], KwaaiInferenceCodec.DecodeFloat16(next.Data.Span));

        // Sessions belong to the caller the gateway authenticated: the same session_id from another peer is unknown.
        Assert.Contains("unknown session 7", otherCaller.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleUnary_KwaaiInferenceBadInputs_AreRefusedAndTheWorkerGoesOn()
    {
        var ct = TestContext.Current.CancellationToken;
        var inbound = new InboundHandler.InboundHandlerClient(_worker!.Channel);
        var caller = NodeIdentity.GenerateEd25519().PeerId.ToBase58();
        var input = Input(2, seed: 3);

        var badPeer = await Assert.ThrowsAsync<RpcException>(async () => await inbound.HandleUnaryAsync(
            new HandleUnaryRequest { RemotePeerId = "not-a-peer", Protocol = KwaaiInferenceCodec.Protocol, Data = ByteString.CopyFrom(Request(1, 0, input, 2)) },
            cancellationToken: ct));
        var garbage = await CallAsync(inbound, caller, [0xc1, 0x00, 0xff], ct);
        var good = await CallAsync(inbound, caller, Request(2, 0, input, 2), ct);

        Assert.Equal(StatusCode.InvalidArgument, badPeer.StatusCode);
        Assert.StartsWith("invalid InferenceRequest", garbage.Error, StringComparison.Ordinal);
        Assert.Null(good.Error);
        AssertClose(Direct([(input, 2)])[0], KwaaiInferenceCodec.DecodeFloat16(good.Data.Span));
    }

    private static async Task<KwaaiInferenceResponse> CallAsync(InboundHandler.InboundHandlerClient inbound, string caller, byte[] request, CancellationToken cancellationToken)
    {
        var reply = await inbound.HandleUnaryAsync(
            new HandleUnaryRequest { RemotePeerId = caller, Protocol = KwaaiInferenceCodec.Protocol, Data = ByteString.CopyFrom(request) },
            cancellationToken: cancellationToken);
        Assert.Equal(HandleUnaryResponse.ResultOneofCase.Data, reply.ResultCase);
        return KwaaiInferenceCodec.DecodeResponse(reply.Data.Span);
    }

    private byte[] Request(ulong session, uint seqPos, float[] hidden, int tokens) =>
        KwaaiInferenceCodec.EncodeRequest(new(
            session, seqPos, KwaaiPayloadType.HiddenStates, [1, (uint)tokens, (uint)_span.Config.HiddenSize], KwaaiInferenceCodec.EncodeFloat16(hidden)));

    /// <summary>Hidden states already rounded to f16, so the wire and the direct path see the same input.</summary>
    private float[] Input(int tokens, int seed)
    {
        var random = new Random(seed);
        var values = new float[tokens * _span.Config.HiddenSize];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return KwaaiInferenceCodec.DecodeFloat16(KwaaiInferenceCodec.EncodeFloat16(values));
    }

    private List<float[]> Direct(IReadOnlyList<(float[] Values, int Tokens)> steps)
    {
        var sessions = _span.Sessions;
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

    /// <summary>Equal within the f16 rounding of the response.</summary>
    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var tolerance = 2e-3f * MathF.Max(1f, MathF.Abs(expected[i]));
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= tolerance, string.Create(CultureInfo.InvariantCulture, $"value {i}: expected {expected[i]}, got {actual[i]}"));
        }
    }
}
