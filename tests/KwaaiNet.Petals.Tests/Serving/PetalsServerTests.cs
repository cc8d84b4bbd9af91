// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Binary;
using Google.Protobuf;
using KwaaiNet.Hivemind.Compression;
using KwaaiNet.Hivemind.Protos;
using KwaaiNet.Hivemind.Streams;
using KwaaiNet.Hivemind.Values;
using KwaaiNet.Libp2p.Protocols;
using KwaaiNet.Petals.Protocol;
using KwaaiNet.Petals.Serving;

namespace KwaaiNet.Petals.Tests.Serving;

/// <summary>Petals' server protocol over real loopback libp2p, against a worker serving blocks [1, 3) of a tiny model.</summary>
public sealed class PetalsServerTests : IAsyncLifetime
{
    private PetalsServerNode _node = null!;

    public async ValueTask InitializeAsync() => _node = await PetalsServerNode.StartAsync(TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _node.DisposeAsync();

    [Fact]
    public async Task RpcInfo_BlockUid_AnswersTheDictWithSchemas()
    {
        var ct = TestContext.Current.CancellationToken;
        var reply = await _node.Unary.CallAsync(_node.ServerPeer, PetalsProtocols.Info, new ExpertUID { Uid = "tiny-hf.2" }.ToByteArray(), ct);
        var info = ExpertInfo.Parser.ParseFrom(reply).SerializedInfo.ToByteArray();

        var reader = new MsgPackSpanReader(info);
        Assert.Equal(7, reader.ReadMapHeader("info"));
        List<string> keys = [];
        for (var i = 0; i < 7; i++)
        {
            keys.Add(System.Text.Encoding.UTF8.GetString(reader.ReadStr("key")));
            if (keys[^1] == "cache_tokens_available")
            {
                Assert.Equal(_node.Span.Sessions.CacheTokensLeft, reader.ReadInteger("cache"));
            }
            else if (keys[^1] == "dht_client_mode")
            {
                Assert.False(reader.ReadBool("mode"));
            }
            else
            {
                _ = reader.ReadObject(16, hashable: false, "value");
            }
        }

        Assert.Equal(["version", "dht_client_mode", "cache_tokens_available", "forward_schema", "outputs_schema", "keyword_names", "inference_schema"], keys);
        var hidden = BatchTensorDescriptorCodec.Encode([1, 2048, PetalsServerNode.HiddenSize], "float32");
        byte[] forwardSchema = [0xc7, (byte)(hidden.Length + 6), 0x40, 0x92, 0xc7, (byte)(hidden.Length + 1), 0x40, 0x91, .. hidden, 0x80];
        Assert.True(info.AsSpan().IndexOf(forwardSchema) > 0, "forward_schema is ((BTD_hidden,), {})");
        byte[] keywordNames = [0xad, .. "keyword_names"u8, 0xd4, 0x40, 0x90];
        Assert.True(info.AsSpan().IndexOf(keywordNames) > 0, "keyword_names is ()");
        byte[] inferenceArgs = [0x93, .. hidden, .. BatchTensorDescriptorCodec.Encode([], "float32"), .. BatchTensorDescriptorCodec.Encode([], "int64")];
        Assert.True(info.AsSpan().IndexOf(inferenceArgs) > 0, "inference_schema holds hidden, prompts and hypo_ids descriptors");
    }

    [Fact]
    public async Task RpcInfo_EmptyUid_AnswersWithoutSchemas_AndUnknownUidIsAKeyError()
    {
        var ct = TestContext.Current.CancellationToken;
        var reply = await _node.Unary.CallAsync(_node.ServerPeer, PetalsProtocols.Info, new ExpertUID().ToByteArray(), ct);
        var reader = new MsgPackSpanReader(ExpertInfo.Parser.ParseFrom(reply).SerializedInfo.Span);
        Assert.Equal(3, reader.ReadMapHeader("info"));

        var error = await Assert.ThrowsAsync<UnaryCallException>(
            () => _node.Unary.CallAsync(_node.ServerPeer, PetalsProtocols.Info, new ExpertUID { Uid = "tiny.0" }.ToByteArray(), ct));
        Assert.Equal("KeyError('tiny.0')", error.Message);
    }

    [Fact]
    public async Task RpcInference_PrefillAndDecode_EqualSessionStepsRunDirectly()
    {
        var ct = TestContext.Current.CancellationToken;
        float[] prefill = PetalsServerNode.Values(3, seed: 1), decode = PetalsServerNode.Values(1, seed: 2);
        var expected = _node.Reference(32, prefill, decode);

        await using var stream = await _node.OpenAsync(PetalsProtocols.Inference, ct);
        var reader = new HivemindFrameReader(stream.Stream);
        await PetalsServerNode.SendAsync(stream, PetalsServerNode.Step(PetalsServerNode.Hidden(prefill), PetalsServerNode.First("s1", "a")), ct);
        var (tensor, first) = await PetalsServerNode.ReceiveAsync(reader, ct);
        Assert.Equal([1u, 3u, (uint)PetalsServerNode.HiddenSize], tensor.Size);
        Assert.Equal("float32", tensor.Dtype);
        PetalsServerNode.Close(expected[0], first);

        await PetalsServerNode.SendAsync(stream, PetalsServerNode.Step(PetalsServerNode.Hidden(decode), PetalsServerNode.Next("s1", "b", 3)), ct);
        PetalsServerNode.Close(expected[1], (await PetalsServerNode.ReceiveAsync(reader, ct)).Values);

        await PetalsServerNode.EndAsync(stream, ct);
        Assert.Null(await reader.ReadAsync(ct));
        await _node.WaitForNoSessionsAsync(ct);
    }

    [Fact]
    public async Task RpcInference_Float16TensorsAndFloat16Compression_AreAccepted()
    {
        var ct = TestContext.Current.CancellationToken;
        var values = PetalsServerNode.Values(2, seed: 3);
        var halves = values.Select(static v => (float)(Half)v).ToArray();
        var expected = _node.Reference(8, halves, halves)[0];

        // float16 elements, no compression: the server reads them exactly and answers in its own dtype.
        await using (var stream = await _node.OpenAsync(PetalsProtocols.Inference, ct))
        {
            var reader = new HivemindFrameReader(stream.Stream);
            await PetalsServerNode.SendAsync(stream, PetalsServerNode.Step(PetalsServerNode.Hidden(values, "float16"), PetalsServerNode.First("h1", "a", 8)), ct);
            var (tensor, output) = await PetalsServerNode.ReceiveAsync(reader, ct);
            Assert.Equal("float32", tensor.Dtype);
            Assert.Equal(CompressionType.None, tensor.Compression);
            PetalsServerNode.Close(expected, output);
            await PetalsServerNode.EndAsync(stream, ct);
        }

        // float32 elements with FLOAT16 compression: the response comes back compressed the same way.
        await using (var stream = await _node.OpenAsync(PetalsProtocols.Inference, ct))
        {
            var reader = new HivemindFrameReader(stream.Stream);
            await PetalsServerNode.SendAsync(stream, PetalsServerNode.Step(PetalsServerNode.Hidden(values, "float32", CompressionType.Float16), PetalsServerNode.First("h2", "a", 8)), ct);
            var (tensor, output) = await PetalsServerNode.ReceiveAsync(reader, ct);
            Assert.Equal(CompressionType.Float16, tensor.Compression);
            Assert.Equal(output.Length * 2, tensor.Buffer.Length);
            PetalsServerNode.Close(expected, output, tolerance: 2e-3f);
            await PetalsServerNode.EndAsync(stream, ct);
        }

        await _node.WaitForNoSessionsAsync(ct);
    }

    [Theory]
    [InlineData("float16")]
    [InlineData("bfloat16")]
    [InlineData("float64")]
    public async Task RpcInference_AnyFloatDType_IsReadAsItsValues(string dtype)
    {
        var ct = TestContext.Current.CancellationToken;
        var hidden = PetalsServerNode.Hidden(PetalsServerNode.Values(2, seed: 16), dtype);
        var expected = _node.Reference(8, TensorCodec.ToSingles(TensorCodec.Deserialize(hidden)))[0];

        await using var stream = await _node.OpenAsync(PetalsProtocols.Inference, ct);
        var reader = new HivemindFrameReader(stream.Stream);
        await PetalsServerNode.SendAsync(stream, PetalsServerNode.Step(hidden, PetalsServerNode.First("f-" + dtype, "a", 8)), ct);
        var (tensor, output) = await PetalsServerNode.ReceiveAsync(reader, ct);
        Assert.Equal("float32", tensor.Dtype);
        PetalsServerNode.Close(expected, output);
        await PetalsServerNode.EndAsync(stream, ct);
        Assert.Null(await reader.ReadAsync(ct));
    }

    [Fact]
    public async Task RpcInference_RepeatedStepId_IsSkippedWithoutAResponse()
    {
        var ct = TestContext.Current.CancellationToken;
        float[] one = PetalsServerNode.Values(1, seed: 4), two = PetalsServerNode.Values(1, seed: 5);
        var expected = _node.Reference(8, one, two);

        await using var stream = await _node.OpenAsync(PetalsProtocols.Inference, ct);
        var reader = new HivemindFrameReader(stream.Stream);
        await PetalsServerNode.SendAsync(stream, PetalsServerNode.Step(PetalsServerNode.Hidden(one), PetalsServerNode.First("d1", "a", 8)), ct);
        await PetalsServerNode.SendAsync(stream, PetalsServerNode.Step(PetalsServerNode.Hidden(one), PetalsServerNode.Next("d1", "a")), ct);
        await PetalsServerNode.SendAsync(stream, PetalsServerNode.Step(PetalsServerNode.Hidden(two), PetalsServerNode.Next("d1", "b")), ct);
        PetalsServerNode.Close(expected[0], (await PetalsServerNode.ReceiveAsync(reader, ct)).Values);

        // Had the repeat run, the cache would hold two tokens before "b" and its output would differ.
        PetalsServerNode.Close(expected[1], (await PetalsServerNode.ReceiveAsync(reader, ct)).Values);
        await PetalsServerNode.EndAsync(stream, ct);
        Assert.Null(await reader.ReadAsync(ct));
    }

    [Fact]
    public async Task RpcInference_StartFromPosition_RewindsTheCache()
    {
        var ct = TestContext.Current.CancellationToken;
        float[] prefix = PetalsServerNode.Values(3, seed: 6), wrong = PetalsServerNode.Values(1, seed: 7), right = PetalsServerNode.Values(1, seed: 8);
        var expected = _node.Reference(8, prefix, right);

        await using var stream = await _node.OpenAsync(PetalsProtocols.Inference, ct);
        var reader = new HivemindFrameReader(stream.Stream);
        await PetalsServerNode.SendAsync(stream, PetalsServerNode.Step(PetalsServerNode.Hidden(prefix), PetalsServerNode.First("r1", "a", 8)), ct);
        await PetalsServerNode.ReceiveAsync(reader, ct);
        await PetalsServerNode.SendAsync(stream, PetalsServerNode.Step(PetalsServerNode.Hidden(wrong), PetalsServerNode.Next("r1", "b", 3)), ct);
        await PetalsServerNode.ReceiveAsync(reader, ct);
        await PetalsServerNode.SendAsync(stream, PetalsServerNode.Step(PetalsServerNode.Hidden(right), PetalsServerNode.Next("r1", "c", 3)), ct);
        PetalsServerNode.Close(expected[1], (await PetalsServerNode.ReceiveAsync(reader, ct)).Values);

        // A position past what the session holds is refused.
        await PetalsServerNode.SendAsync(stream, PetalsServerNode.Step(PetalsServerNode.Hidden(right), PetalsServerNode.Next("r1", "d", 9)), ct);
        Assert.Contains("start_from_position 9", await PetalsServerNode.ReceiveErrorAsync(reader, ct), StringComparison.Ordinal);
        await _node.WaitForNoSessionsAsync(ct);
    }

    [Fact]
    public async Task RpcInference_ZeroTokenStep_IsAnsweredWithAnEmptyTensor()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stream = await _node.OpenAsync(PetalsProtocols.Inference, ct);
        var reader = new HivemindFrameReader(stream.Stream);
        await PetalsServerNode.SendAsync(stream, PetalsServerNode.Step(PetalsServerNode.Hidden([]), PetalsServerNode.First("z1", "a", 4)), ct);
        var (tensor, values) = await PetalsServerNode.ReceiveAsync(reader, ct);
        Assert.Equal([1u, 0u, (uint)PetalsServerNode.HiddenSize], tensor.Size);
        Assert.Empty(values);
        await PetalsServerNode.EndAsync(stream, ct);
    }

    [Fact]
    public async Task RpcPush_DeliversAStepIntoTheRunningSession_AndTheClientCopyIsSkipped()
    {
        var ct = TestContext.Current.CancellationToken;
        float[] one = PetalsServerNode.Values(2, seed: 9), two = PetalsServerNode.Values(1, seed: 10);
        var expected = _node.Reference(8, one, two);

        await using var stream = await _node.OpenAsync(PetalsProtocols.Inference, ct);
        var reader = new HivemindFrameReader(stream.Stream);
        await PetalsServerNode.SendAsync(stream, PetalsServerNode.Step(PetalsServerNode.Hidden(one), PetalsServerNode.First("p1", "a", 8)), ct);
        await PetalsServerNode.ReceiveAsync(reader, ct);

        var pushed = PetalsServerNode.Step(PetalsServerNode.Hidden(two), PetalsServerNode.Next("p1", "b") with { Pushed = true });
        var reply = await _node.Unary.CallAsync(_node.ServerPeer, PetalsProtocols.Push, pushed.ToByteArray(), ct);
        Assert.Empty(reply);
        PetalsServerNode.Close(expected[1], (await PetalsServerNode.ReceiveAsync(reader, ct)).Values);

        // The client's own copy of step "b" is skipped, so the next frame answers step "c".
        await PetalsServerNode.SendAsync(stream, PetalsServerNode.Step(PetalsServerNode.Hidden(two), PetalsServerNode.Next("p1", "b")), ct);
        await PetalsServerNode.SendAsync(stream, PetalsServerNode.Step(PetalsServerNode.Hidden([]), PetalsServerNode.Next("p1", "c")), ct);
        var (tensor, _) = await PetalsServerNode.ReceiveAsync(reader, ct);
        Assert.Equal(0u, tensor.Size[1]);
        await PetalsServerNode.EndAsync(stream, ct);
    }

    [Fact]
    public async Task RpcForward_Unary_RunsEachSequenceOfTheBatch()
    {
        var ct = TestContext.Current.CancellationToken;
        float[] a = PetalsServerNode.Values(3, seed: 11), b = PetalsServerNode.Values(3, seed: 12);
        var request = new ExpertRequest
        {
            Uid = "tiny-hf.1 tiny-hf.2",
            Tensors = { TensorCodec.Serialize([2, 3, PetalsServerNode.HiddenSize], [.. a, .. b]), PetalsServerNode.Dummy },
            Metadata = ByteString.CopyFrom(RequestMetadataCodec.Encode(new ForwardMetadata { Points = 0, ArgsStructure = [0, 1] })),
        };
        var reply = ExpertResponse.Parser.ParseFrom(await _node.Unary.CallAsync(_node.ServerPeer, PetalsProtocols.Forward, request.ToByteArray(), ct));
        var output = TensorCodec.ToSingles(TensorCodec.Deserialize(Assert.Single(reply.Tensors)));
        var row = 3 * PetalsServerNode.HiddenSize;
        PetalsServerNode.Close(_node.Reference(3, a)[0], output[..row]);
        PetalsServerNode.Close(_node.Reference(3, b)[0], output[row..]);
        await _node.WaitForNoSessionsAsync(ct);
    }

    [Fact]
    public async Task RpcForwardStream_PartsIn_PartsOut()
    {
        var ct = TestContext.Current.CancellationToken;
        var values = PetalsServerNode.Values(4, seed: 13);
        var metadata = ByteString.CopyFrom(RequestMetadataCodec.Encode(new ForwardMetadata { Points = 0, ArgsStructure = [0, 1] }));
        List<Tensor> parts = [.. TensorCodec.Split(PetalsServerNode.Hidden(values), 300), PetalsServerNode.Dummy];
        await using var stream = await _node.OpenAsync(PetalsProtocols.ForwardStream, ct);
        foreach (var part in parts)
        {
            await PetalsServerNode.SendAsync(stream, new ExpertRequest { Uid = PetalsServerNode.SpanUids, Tensors = { part }, Metadata = metadata }, ct);
        }

        await HivemindFrameWriter.WriteEndOfStreamAsync(stream.Stream, ct);
        var reader = new HivemindFrameReader(stream.Stream);
        var (tensor, output) = await PetalsServerNode.ReceiveAsync(reader, ct);
        Assert.Null(await reader.ReadAsync(ct));
        Assert.Equal([1u, 4u, (uint)PetalsServerNode.HiddenSize], tensor.Size);
        PetalsServerNode.Close(_node.Reference(4, values)[0], output);
    }

    [Fact]
    public async Task RpcBackward_IsRefusedAsTrainingNotServed()
    {
        var ct = TestContext.Current.CancellationToken;
        var error = await Assert.ThrowsAsync<UnaryCallException>(
            () => _node.Unary.CallAsync(_node.ServerPeer, PetalsProtocols.Backward, new ExpertRequest { Uid = PetalsServerNode.SpanUids }.ToByteArray(), ct));
        Assert.StartsWith("NotImplementedError('rpc_backward: training is not served", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> BadInputs => [.. BadInput.All.Keys];

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task RpcInference_BadInput_GetsAnErrorFrame_AndTheWorkerKeepsServing(string name)
    {
        var ct = TestContext.Current.CancellationToken;
        var (bytes, expected) = BadInput.All[name];
        await using (var stream = await _node.OpenAsync(PetalsProtocols.Inference, ct))
        {
            await stream.Stream.WriteAsync(bytes, ct);
            var reader = new HivemindFrameReader(stream.Stream);
            Assert.Contains(expected, await PetalsServerNode.ReceiveErrorAsync(reader, ct), StringComparison.Ordinal);
        }

        await _node.WaitForNoSessionsAsync(ct);
        var values = PetalsServerNode.Values(2, seed: 14);
        var reference = _node.Reference(4, values)[0];
        await using (var stream = await _node.OpenAsync(PetalsProtocols.Inference, ct))
        {
            var reader = new HivemindFrameReader(stream.Stream);
            await PetalsServerNode.SendAsync(stream, PetalsServerNode.Step(PetalsServerNode.Hidden(values), PetalsServerNode.First("after-" + name, "a", 4)), ct);
            PetalsServerNode.Close(reference, (await PetalsServerNode.ReceiveAsync(reader, ct)).Values);
            await PetalsServerNode.EndAsync(stream, ct);
            Assert.Null(await reader.ReadAsync(ct));
        }
    }

    [Fact]
    public async Task RpcInference_ClientClosesMidSession_FreesTheCache()
    {
        var ct = TestContext.Current.CancellationToken;
        var stream = await _node.OpenAsync(PetalsProtocols.Inference, ct);
        var reader = new HivemindFrameReader(stream.Stream);
        await PetalsServerNode.SendAsync(stream, PetalsServerNode.Step(PetalsServerNode.Hidden(PetalsServerNode.Values(1, 15)), PetalsServerNode.First("c1", "a", 16)), ct);
        await PetalsServerNode.ReceiveAsync(reader, ct);
        Assert.Equal(1, _node.Handler.OpenSessionCount);
        await stream.CompleteWritesAsync();
        await _node.WaitForNoSessionsAsync(ct);
        await stream.DisposeAsync();
    }

    /// <summary>Requests a server must refuse with an error frame, as the bytes a client writes.</summary>
    private static class BadInput
    {
        public static Dictionary<string, (byte[] Bytes, string Error)> All { get; } = new()
        {
            ["wrong hidden size"] = (Frame(PetalsServerNode.Step(
                TensorCodec.Serialize([1, 1, 32], new float[32]), PetalsServerNode.First("x", "a"))), "hidden_states must have shape [batch, tokens, 64]"),
            ["int hidden states"] = (Frame(PetalsServerNode.Step(
                TensorCodec.Serialize([1, 1, PetalsServerNode.HiddenSize], "int64", new byte[8 * PetalsServerNode.HiddenSize]), PetalsServerNode.First("x", "a"))), "hidden_states must be a float tensor"),
            ["int32 hypo ids"] = (Frame(WithHypoIds(TensorCodec.Serialize([1], "int32", new byte[4]))), "hypo ids must be int64, got int32"),
            ["step before open"] = (Frame(PetalsServerNode.Step(
                PetalsServerNode.Hidden(new float[PetalsServerNode.HiddenSize]), PetalsServerNode.Next("x", "a"))), "must contain int max_length"),
            ["max_length too big"] = (Frame(PetalsServerNode.Step(
                PetalsServerNode.Hidden(new float[PetalsServerNode.HiddenSize]), PetalsServerNode.First("x", "a", 100_000))), "Cannot allocate KV cache for 100000 tokens"),
            ["batch of two"] = (Frame(PetalsServerNode.Step(
                TensorCodec.Serialize([2, 1, PetalsServerNode.HiddenSize], new float[2 * PetalsServerNode.HiddenSize]), PetalsServerNode.First("x", "a"))), "a batch of 2 sequences is not served"),
            ["past max_length"] = (Frame(PetalsServerNode.Step(
                PetalsServerNode.Hidden(new float[3 * PetalsServerNode.HiddenSize]), PetalsServerNode.First("x", "a", 2))), "Maximum length exceeded: prefix 0 + current 3 exceeds pre-allocated maximum 2"),
            ["deep prompts"] = (Frame(WithPrompts()), "deep prompts are not served"),
            ["unknown uid"] = (Frame(PetalsServerNode.Step(
                PetalsServerNode.Hidden(new float[PetalsServerNode.HiddenSize]), PetalsServerNode.First("x", "a"), "other.1 other.2")), "Remote peer does not serve other.1"),
            ["part of the span"] = (Frame(PetalsServerNode.Step(
                PetalsServerNode.Hidden(new float[PetalsServerNode.HiddenSize]), PetalsServerNode.First("x", "a"), "tiny.1")), "Remote peer does not serve tiny.1"),
            ["garbage frame marker"] = ([0x07, 0, 0, 0, 0, 0, 0, 0, 1, 0], "Invalid hivemind frame marker 0x07"),
            ["oversize length header"] = ([0x00, 0, 0, 0x10, 0, 0, 0, 0, 0], "above the limit"),
            ["not an ExpertRequest"] = ([0x00, 0, 0, 0, 0, 0, 0, 0, 2, 0xff, 0xff], "not an ExpertRequest"),
        };

        private static byte[] Frame(ExpertRequest request)
        {
            var payload = request.ToByteArray();
            var frame = new byte[HivemindFrame.HeaderLength + payload.Length];
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(1), (ulong)payload.Length);
            payload.CopyTo(frame, HivemindFrame.HeaderLength);
            return frame;
        }

        private static ExpertRequest WithHypoIds(Tensor hypoIds)
        {
            var request = PetalsServerNode.Step(PetalsServerNode.Hidden(new float[PetalsServerNode.HiddenSize]), PetalsServerNode.First("x", "a"));
            request.Tensors[2] = hypoIds;
            return request;
        }

        private static ExpertRequest WithPrompts()
        {
            var request = PetalsServerNode.Step(PetalsServerNode.Hidden(new float[PetalsServerNode.HiddenSize]), PetalsServerNode.First("x", "a"));
            request.Tensors[1] = TensorCodec.Serialize([2, 1, 1, PetalsServerNode.HiddenSize], new float[2 * PetalsServerNode.HiddenSize]);
            return request;
        }
    }
}
