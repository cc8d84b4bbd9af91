// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Collections.Concurrent;
using System.Diagnostics;
using Google.Protobuf;
using KwaaiNet.Hivemind.Protos;
using KwaaiNet.Hivemind.Streams;
using KwaaiNet.Hivemind.Values;
using KwaaiNet.Petals.Protocol;
using KwaaiNet.Petals.Serving;

namespace KwaaiNet.Petals.Tests.Serving;

/// <summary>Session lifetime and tracing, on a worker with a short step timeout.</summary>
public sealed class PetalsServerSessionTests : IAsyncLifetime
{
    private PetalsServerNode _node = null!;

    public async ValueTask InitializeAsync() => _node = await PetalsServerNode.StartAsync(
        TestContext.Current.CancellationToken,
        new Dictionary<string, string?> { ["KwaaiNet:Petals:Server:StepTimeout"] = "00:00:02" });

    public ValueTask DisposeAsync() => _node.DisposeAsync();

    [Fact]
    public async Task RpcInference_NoStepWithinTheStepTimeout_EndsTheSessionSilently()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stream = await _node.OpenAsync(PetalsProtocols.Inference, ct);
        var reader = new HivemindFrameReader(stream.Stream);
        await PetalsServerNode.SendAsync(stream, PetalsServerNode.Step(PetalsServerNode.Hidden(PetalsServerNode.Values(1, 30)), PetalsServerNode.First("t1", "a", 8)), ct);
        await PetalsServerNode.ReceiveAsync(reader, ct);

        // No further step: the server closes the stream without an error frame and frees the cache.
        Assert.Null(await reader.ReadAsync(ct));
        await _node.WaitForNoSessionsAsync(ct);
    }

    [Fact]
    public async Task RpcInference_TraceParentInMetadata_ParentsTheStepActivity()
    {
        var ct = TestContext.Current.CancellationToken;
        ConcurrentQueue<Activity> stopped = new();
        using var listener = new ActivityListener
        {
            ShouldListenTo = static source => source.Name == TransformerConnectionHandler.ActivitySourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var traceId = ActivityTraceId.CreateRandom();
        var parent = ActivitySpanId.CreateRandom();
        var metadata = DhtMsgPack.Write(w =>
        {
            w.WriteMapHeader(5);
            w.Write("session_id");
            w.Write("traced");
            w.Write("step_id");
            w.Write("a");
            w.Write("max_length");
            w.Write(8L);
            w.Write("args_structure");
            w.WriteEncoded(RequestMetadataCodec.EncodeArgsStructure([0, 1, 2]));
            w.Write("traceparent");
            w.Write($"00-{traceId}-{parent}-01");
        });
        var request = new ExpertRequest
        {
            Uid = PetalsServerNode.SpanUids,
            Tensors = { PetalsServerNode.Hidden(PetalsServerNode.Values(2, 31)), PetalsServerNode.Dummy, PetalsServerNode.DummyInt64 },
            Metadata = ByteString.CopyFrom(metadata),
        };

        await using var stream = await _node.OpenAsync(PetalsProtocols.Inference, ct);
        var reader = new HivemindFrameReader(stream.Stream);
        await PetalsServerNode.SendAsync(stream, request, ct);
        await PetalsServerNode.ReceiveAsync(reader, ct);
        await PetalsServerNode.EndAsync(stream, ct);

        var step = Assert.Single(stopped, static a => Equals(a.GetTagItem("petals.session"), "traced"));
        Assert.Equal(traceId, step.TraceId);
        Assert.Equal(parent, step.ParentSpanId);
        Assert.Equal(ActivityKind.Server, step.Kind);
        Assert.Equal(1L, step.GetTagItem("petals.step"));
        Assert.Equal(2L, step.GetTagItem("petals.tokens"));
        Assert.Equal(PetalsServerNode.SpanUids, step.GetTagItem("petals.blocks"));
    }
}
