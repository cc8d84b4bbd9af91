// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text;
using KwaaiNet.Hivemind.Compression;
using KwaaiNet.Hivemind.Protos;
using KwaaiNet.Hivemind.Streams;
using KwaaiNet.Petals.Hosting;
using KwaaiNet.Petals.Protocol;
using KwaaiNet.Petals.Serving;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Tests.Serving;

/// <summary>The byte vectors of research petals-protocol.md §9.2 and Appendix A.</summary>
public sealed class ServerWireVectorTests
{
    [Fact]
    public void BatchTensorDescriptor_HiddenFloat16_IsThe129BytesOfTheResearchVector()
    {
        var expected = Bytes(
            "c7 7e 51 88",
            "a4", Text("size"), "c7 09 40 94 c0 01 cd 08 00 cd 10 00",
            "a5", Text("dtype"), "ad", Text("torch.float16"),
            "a6", Text("layout"), "ad", Text("torch.strided"),
            "ad", Text("requires_grad"), "c2",
            "aa", Text("pin_memory"), "c2",
            "ab", Text("compression"), "00",
            "ab", Text("device_type"), "c0",
            "ac", Text("device_index"), "c0");
        var bytes = BatchTensorDescriptorCodec.Encode([1, 2048, 4096], "float16");
        Assert.Equal(129, bytes.Length);
        Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(bytes));
    }

    [Fact]
    public void BatchTensorDescriptor_NoInstanceSize_IsAFixext2NoneTuple()
    {
        var bytes = BatchTensorDescriptorCodec.Encode([], "float16");
        var size = Bytes("a4", Text("size"), "d5 40 91 c0", "a5");
        Assert.True(bytes.AsSpan().IndexOf(size) > 0);
        Assert.Equal(129 - 8, bytes.Length);
    }

    [Fact]
    public void ExpertInfo_WithoutUid_HasVersionClientModeAndCache()
    {
        var bytes = ExpertInfoCodec.Encode("2.3.0.dev2", false, 16384, null);
        var expected = Bytes("83", "a7", Text("version"), "aa", Text("2.3.0.dev2"), "af", Text("dht_client_mode"), "c2", "b6", Text("cache_tokens_available"), "cd 40 00");
        Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(bytes));
    }

    [Fact]
    public async Task AppendixA_RequestFrame_ParsesIntoWhatItSays()
    {
        var frameBytes = Bytes(
            "00 00 00 00 00 00 00 00 96",
            "0a 07 6d 2e 33 20 6d 2e 34",
            "12 18 0a 08 00 3c 00 40 00 bc 00 38 12 03 01 01 04 22 07", Text("float16"),
            "12 0c 12 01 00 22 07", Text("float32"),
            "12 0a 12 01 00 22 05", Text("int64"),
            "1a 57 84 aa", Text("session_id"), "a1", Text("s"), "a7", Text("step_id"), "a1", Text("t"), "b3", Text("start_from_position"), "05",
            "ae", Text("args_structure"), "c7 18 40 92 c7 13 40 93 c4 04", Text("__T0"), "c4 04", Text("__T1"), "c4 04", Text("__T2"), "80");
        Assert.Equal(9 + 150, frameBytes.Length);

        var frame = await new HivemindFrameReader(new MemoryStream(frameBytes)).ReadAsync(TestContext.Current.CancellationToken);
        Assert.NotNull(frame);
        var request = frame.ParseMessage(ExpertRequest.Parser);
        Assert.Equal("m.3 m.4", request.Uid);
        Assert.Equal(3, request.Tensors.Count);
        var hidden = TensorCodec.Deserialize(request.Tensors[0]);
        Assert.Equal([1, 1, 4], hidden.Shape);
        Assert.Equal("float16", hidden.DType);
        Assert.Equal([1f, 2f, -1f, 0.5f], TensorCodec.ToSingles(hidden));
        Assert.Equal(0, TensorCodec.Deserialize(request.Tensors[1]).ElementCount);
        Assert.Equal("int64", TensorCodec.Deserialize(request.Tensors[2]).DType);
        var metadata = RequestMetadataCodec.DecodeInference(request.Metadata.Span);
        Assert.Equal("s", metadata.SessionId);
        Assert.Equal("t", metadata.StepId);
        Assert.Equal(5, metadata.StartFromPosition);
        Assert.Equal([0, 1, 2], metadata.ArgsStructure);
        Assert.Null(metadata.MaxLength);
    }

    [Fact]
    public async Task AppendixA_ResponseFrame_IsWhatTheServerWrites()
    {
        var expected = Bytes("00 00 00 00 00 00 00 00 1a 12 18 0a 08 00 3c 00 40 00 bc 00 38 12 03 01 01 04 22 07", Text("float16"));
        using var stream = new MemoryStream();
        var response = new ExpertResponse { Tensors = { TensorCodec.Serialize([1, 1, 4], [1f, 2f, -1f, 0.5f], "float16") } };
        await HivemindFrameWriter.WriteMessageAsync(stream, response, TestContext.Current.CancellationToken);
        Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(stream.ToArray()));
    }

    [Fact]
    public void PythonRepr_QuotesTheMessage()
    {
        Assert.Equal("KeyError('m.0')", new PetalsRequestException("KeyError", "m.0").Repr);
        Assert.Equal(@"ValueError('it\'s')", new PetalsRequestException("ValueError", "it's").Repr);
    }

    [Theory]
    [InlineData("StepTimeout", "00:00:00")]
    [InlineData("SessionTimeout", "-00:00:01")]
    [InlineData("MaxStreamMessageBytes", "10")]
    [InlineData("MaxUnaryMessageBytes", "2147483647")]
    public void Options_OutOfRange_AreRefused(string key, string value)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection([new("KwaaiNet:Petals:Server:" + key, value)]);
        builder.AddPetalsServer();
        using var host = builder.Build();
        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<PetalsServerOptions>>().Value);
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    private static string Text(string value) => Convert.ToHexStringLower(Encoding.UTF8.GetBytes(value));

    private static byte[] Bytes(params string[] parts) => Convert.FromHexString(string.Concat(parts).Replace(" ", string.Empty, StringComparison.Ordinal));
}
