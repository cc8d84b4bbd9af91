// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using KwaaiNet.Contracts.Inbound.V1;
using KwaaiNet.Hivemind.Protos;
using KwaaiNet.Hivemind.Streams;
using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Hosting;
using KwaaiNet.Inference.Serving;
using KwaaiNet.Petals.Hosting;
using KwaaiNet.Petals.Serving;
using KwaaiNet.Testing;
using KwaaiNet.Testing.Inference;
using Microsoft.Extensions.DependencyInjection;

namespace KwaaiNet.Petals.Tests.Serving;

/// <summary>A worker in its own process: the handlers behind the gRPC InboundHandler the p2p-gateway relays to.</summary>
public sealed class PetalsInboundServiceTests : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kwaainet-petals-inbound-" + Guid.NewGuid().ToString("N"));
    private ModuleHost _host = null!;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, "tiny.gguf");
        TinyLlamaGguf.Write(path, GgmlType.F32, seed: 7, TinyLlamaGguf.Default with { LayerCount = 4 });
        _host = await ModuleHost.StartAsync(
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
                ["KwaaiNet:Node:start_block"] = PetalsServerNode.Start.ToString(CultureInfo.InvariantCulture),
                ["KwaaiNet:Node:blocks"] = (PetalsServerNode.End - PetalsServerNode.Start).ToString(CultureInfo.InvariantCulture),
                ["KwaaiNet:Inference:ModelPath"] = path,
                ["KwaaiNet:Inference:Threads"] = "1",
                ["KwaaiNet:Inference:ThroughputWarmupSteps"] = "1",
                ["KwaaiNet:Inference:ThroughputSteps"] = "2",
            },
            ct);
        var spans = _host.App.Services.GetRequiredService<IServedSpanProvider>();
        await Poll.UntilAsync(() => spans.Current is not null, ct, TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // The model file is still mapped by a worker shutting down; the temp folder is cleaned by the system.
        }
    }

    [Fact]
    public async Task HandleUnary_RpcInfo_AnswersAndAnUnknownUidIsAnError()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = new InboundHandler.InboundHandlerClient(_host.Channel);
        var reply = await client.HandleUnaryAsync(
            new HandleUnaryRequest { RemotePeerId = "12D3KooWTest", Protocol = PetalsProtocols.Info, Data = new ExpertUID { Uid = "tiny.1" }.ToByteString() },
            cancellationToken: ct);
        Assert.Equal(HandleUnaryResponse.ResultOneofCase.Data, reply.ResultCase);
        Assert.Equal(0x87, ExpertInfo.Parser.ParseFrom(reply.Data).SerializedInfo[0]);

        var refused = await client.HandleUnaryAsync(
            new HandleUnaryRequest { Protocol = PetalsProtocols.Info, Data = new ExpertUID { Uid = "tiny.7" }.ToByteString() },
            cancellationToken: ct);
        Assert.Equal("KeyError('tiny.7')", refused.Error);
    }

    [Fact]
    public async Task HandleStream_RpcInference_RunsASessionOverRelayedFrames()
    {
        var ct = TestContext.Current.CancellationToken;
        var values = PetalsServerNode.Values(2, seed: 21);
        var span = _host.App.Services.GetRequiredService<IServedSpanProvider>().Current!;
        var session = span.Sessions.Open(8);
        var expected = span.Sessions.Step(session, values, 2, ct);
        span.Sessions.Close(session);

        using var input = new MemoryStream();
        await HivemindFrameWriter.WriteMessageAsync(input, PetalsServerNode.Step(PetalsServerNode.Hidden(values), PetalsServerNode.First("g1", "a", 8)), ct);
        await HivemindFrameWriter.WriteMessageAsync(input, new ExpertRequest(), ct);
        await HivemindFrameWriter.WriteEndOfStreamAsync(input, ct);

        var client = new InboundHandler.InboundHandlerClient(_host.Channel);
        using var call = client.HandleStream(cancellationToken: ct);
        await call.RequestStream.WriteAsync(new InboundFrame { Open = new InboundOpen { RemotePeerId = "12D3KooWTest", Protocol = PetalsProtocols.Inference } }, ct);

        // The relay cuts bytes anywhere, not at frame boundaries.
        var bytes = input.ToArray();
        for (var start = 0; start < bytes.Length; start += 100)
        {
            await call.RequestStream.WriteAsync(new InboundFrame { Data = ByteString.CopyFrom(bytes.AsSpan(start, Math.Min(100, bytes.Length - start))) }, ct);
        }

        using var output = new MemoryStream();
        var closed = false;
        await foreach (var frame in call.ResponseStream.ReadAllAsync(ct))
        {
            if (frame.FrameCase == InboundFrame.FrameOneofCase.Close)
            {
                closed = true;
                break;
            }

            frame.Data.WriteTo(output);
        }

        await call.RequestStream.CompleteAsync();
        Assert.True(closed);
        output.Position = 0;
        var reader = new HivemindFrameReader(output);
        PetalsServerNode.Close(expected, (await PetalsServerNode.ReceiveAsync(reader, ct)).Values);
        Assert.Null(await reader.ReadAsync(ct));
        await Poll.UntilAsync(() => span.Sessions.OpenSessionCount == 0, ct);
    }
}
