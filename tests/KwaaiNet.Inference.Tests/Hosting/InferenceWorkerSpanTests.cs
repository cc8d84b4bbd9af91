// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Grpc.Core;
using KwaaiNet.Contracts.Inference.V1;
using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Sessions;
using KwaaiNet.Inference.Tests.Gguf;
using KwaaiNet.Inference.Tests.Onnx;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Inference.Tests.Hosting;

/// <summary>The worker's Forward and Inference calls against the same span run in-process, and their bad inputs.</summary>
public sealed class InferenceWorkerSpanTests : IDisposable
{
    private const double Tolerance = 1e-5;
    private static readonly int Hidden = TinyWorker.Config.HiddenSize;
    private readonly TempFolder _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task Inference_StepsOfOneSession_EqualTheSpanRunInProcess()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await TinyWorker.StartAsync(_home.Path, 0, 2, ct);
        (float[], int)[] steps = [(OnnxAssert.Random(1, 4 * Hidden), 4), (OnnxAssert.Random(2, Hidden), 1), (OnnxAssert.Random(3, 2 * Hidden), 2)];

        var outputs = await worker.RunSessionAsync(16, steps, ct);

        var expected = RunInProcess(0, 2, steps);
        for (var i = 0; i < steps.Length; i++)
        {
            OnnxAssert.Close(expected[i], outputs[i], Tolerance, what: $"step {i}");
        }

        var info = await worker.Client.InfoAsync(new InfoRequest(), cancellationToken: ct);
        Assert.Equal(0, info.OpenSessions);
    }

    [Fact]
    public async Task Inference_ResponsesCarryTheSessionLength()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await TinyWorker.StartAsync(_home.Path, 0, 2, ct);
        using var call = worker.Client.Inference(cancellationToken: ct);

        await call.RequestStream.WriteAsync(new InferenceRequest { MaxLength = 8 }, ct);
        await call.RequestStream.WriteAsync(new InferenceRequest { HiddenStates = TinyWorker.Float32Tensor(OnnxAssert.Random(4, 3 * Hidden), 3) }, ct);
        Assert.True(await call.ResponseStream.MoveNext(ct));
        var first = call.ResponseStream.Current;
        await call.RequestStream.WriteAsync(new InferenceRequest { HiddenStates = TinyWorker.Float32Tensor(OnnxAssert.Random(5, Hidden), 1) }, ct);
        Assert.True(await call.ResponseStream.MoveNext(ct));
        var second = call.ResponseStream.Current;
        var during = await worker.Client.InfoAsync(new InfoRequest(), cancellationToken: ct);
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(ct));

        Assert.Equal(3, first.SessionLength);
        Assert.Equal(4, second.SessionLength);
        Assert.Equal<long>([3, Hidden], first.HiddenStates.Shape);
        Assert.Equal(1, during.OpenSessions);
    }

    [Fact]
    public async Task Inference_TwoWorkersChained_EqualOneWorkerWithTheWholeModel()
    {
        var ct = TestContext.Current.CancellationToken;
        using var otherHome = new TempFolder();
        using var thirdHome = new TempFolder();
        await using var first = await TinyWorker.StartAsync(_home.Path, 0, 1, ct);
        await using var second = await TinyWorker.StartAsync(otherHome.Path, 1, 1, ct);
        await using var whole = await TinyWorker.StartAsync(thirdHome.Path, 0, 2, ct);
        (float[], int)[] steps = [(OnnxAssert.Random(6, 5 * Hidden), 5), (OnnxAssert.Random(7, Hidden), 1), (OnnxAssert.Random(8, Hidden), 1)];

        var middle = await first.RunSessionAsync(8, steps, ct);
        var chained = await second.RunSessionAsync(8, [.. middle.Select((m, i) => (m, steps[i].Item2))], ct);
        var direct = await whole.RunSessionAsync(8, steps, ct);

        for (var i = 0; i < steps.Length; i++)
        {
            OnnxAssert.Close(direct[i], chained[i], Tolerance, what: $"step {i}");
        }
    }

    [Fact]
    public async Task Forward_EqualsAOneStepSession_InEveryDtype()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await TinyWorker.StartAsync(_home.Path, 1, 1, ct);
        var input = OnnxAssert.Random(9, 3 * Hidden);
        var expected = RunInProcess(1, 2, [(input, 3)])[0];

        var f32 = await worker.Client.ForwardAsync(new ForwardRequest { HiddenStates = TinyWorker.Float32Tensor(input, 3) }, cancellationToken: ct);
        var f16 = await worker.Client.ForwardAsync(new ForwardRequest { HiddenStates = Narrow(input, "float16") }, cancellationToken: ct);
        var bf16 = await worker.Client.ForwardAsync(new ForwardRequest { HiddenStates = Narrow(input, "bfloat16") }, cancellationToken: ct);

        OnnxAssert.Close(expected, TinyWorker.Floats(f32.HiddenStates), Tolerance);
        Assert.Equal("float16", f16.HiddenStates.Dtype);
        Assert.Equal("bfloat16", bf16.HiddenStates.Dtype);
        Assert.Equal<long>([3, Hidden], f16.HiddenStates.Shape);

        // The input rounded to 16 bits moves the output by about the rounding times the span's gain.
        OnnxAssert.Close(expected, Widen(f16.HiddenStates), 0.05, relative: 0.01);
        OnnxAssert.Close(expected, Widen(bf16.HiddenStates), 0.3, relative: 0.05);
    }

    [Fact]
    public async Task BadInputs_AreRefusedWithClearStatuses_AndTheWorkerKeepsServing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await TinyWorker.StartAsync(
            _home.Path, 0, 2, ct, new Dictionary<string, string?> { ["KwaaiNet:Inference:Sessions:KvCacheBudgetBytes"] = "65536" });
        var client = worker.Client;
        var good = TinyWorker.Float32Tensor(OnnxAssert.Random(10, Hidden), 1);

        // A long session is open across every bad call, and must still work afterwards.
        using var survivor = client.Inference(cancellationToken: ct);
        await survivor.RequestStream.WriteAsync(new InferenceRequest { MaxLength = 4, HiddenStates = good }, ct);
        Assert.True(await survivor.ResponseStream.MoveNext(ct));

        var wrongWidth = await TinyWorker.FailsAsync(async () => await client.ForwardAsync(
            new ForwardRequest { HiddenStates = new Tensor { Dtype = "float32", Shape = { 1, Hidden + 1 }, Data = good.Data } }, cancellationToken: ct));
        var wrongLength = await TinyWorker.FailsAsync(async () => await client.ForwardAsync(
            new ForwardRequest { HiddenStates = new Tensor { Dtype = "float32", Shape = { 2, Hidden }, Data = good.Data } }, cancellationToken: ct));
        var wrongDtype = await TinyWorker.FailsAsync(async () => await client.ForwardAsync(
            new ForwardRequest { HiddenStates = new Tensor { Dtype = "int8", Shape = { 1, Hidden }, Data = good.Data } }, cancellationToken: ct));
        var wrongRank = await TinyWorker.FailsAsync(async () => await client.ForwardAsync(
            new ForwardRequest { HiddenStates = new Tensor { Dtype = "float32", Shape = { 2, 1, Hidden }, Data = good.Data } }, cancellationToken: ct));
        var missing = await TinyWorker.FailsAsync(async () => await client.ForwardAsync(new ForwardRequest(), cancellationToken: ct));
        var noMaxLength = await TinyWorker.FailsAsync(() => OneStepAsync(client, new InferenceRequest { HiddenStates = good }, ct));
        var overBudget = await TinyWorker.FailsAsync(() => OneStepAsync(client, new InferenceRequest { MaxLength = 128, HiddenStates = good }, ct));
        var pastMaxLength = await TinyWorker.FailsAsync(() => OneStepAsync(
            client, new InferenceRequest { MaxLength = 1, HiddenStates = TinyWorker.Float32Tensor(OnnxAssert.Random(11, 2 * Hidden), 2) }, ct));

        Assert.Equal(StatusCode.InvalidArgument, wrongWidth.StatusCode);
        Assert.Contains($"expected [tokens, {Hidden}]", wrongWidth.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, wrongLength.StatusCode);
        Assert.Contains("bytes", wrongLength.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, wrongDtype.StatusCode);
        Assert.Contains("'int8' is not supported", wrongDtype.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, wrongRank.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, missing.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, noMaxLength.StatusCode);
        Assert.Contains("max_length", noMaxLength.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.ResourceExhausted, overBudget.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, pastMaxLength.StatusCode);
        Assert.Contains("at most 1 fit", pastMaxLength.Status.Detail, StringComparison.Ordinal);

        await survivor.RequestStream.WriteAsync(new InferenceRequest { HiddenStates = good }, ct);
        Assert.True(await survivor.ResponseStream.MoveNext(ct));
        Assert.Equal(2, survivor.ResponseStream.Current.SessionLength);
        await survivor.RequestStream.CompleteAsync();
        Assert.False(await survivor.ResponseStream.MoveNext(ct));
        var info = await worker.WaitForAsync(static i => i.OpenSessions == 0, ct);
        Assert.Equal(ModelState.Ready, info.State);
    }

    [Fact]
    public async Task Inference_ClientSilentPastTheStepTimeout_LosesItsSession()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await TinyWorker.StartAsync(
            _home.Path, 0, 2, ct, new Dictionary<string, string?> { ["KwaaiNet:Inference:Sessions:StepTimeout"] = "00:00:00.300" });
        using var call = worker.Client.Inference(cancellationToken: ct);
        await call.RequestStream.WriteAsync(new InferenceRequest { MaxLength = 4 }, ct);

        var error = await TinyWorker.FailsAsync(async () => await call.ResponseStream.MoveNext(ct));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Contains("step timeout", error.Status.Detail, StringComparison.Ordinal);
        await worker.WaitForAsync(static i => i.OpenSessions == 0, ct);
    }

    private static async Task OneStepAsync(Contracts.Inference.V1.Inference.InferenceClient client, InferenceRequest request, CancellationToken ct)
    {
        using var call = client.Inference(cancellationToken: ct);
        await call.RequestStream.WriteAsync(request, ct);
        await call.RequestStream.CompleteAsync();
        while (await call.ResponseStream.MoveNext(ct))
        {
        }
    }

    private static Tensor Narrow(float[] values, string dtype)
    {
        var bytes = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            var bits = dtype == "float16"
                ? BitConverter.HalfToUInt16Bits((Half)values[i])
                : (ushort)(BitConverter.SingleToUInt32Bits(values[i]) >> 16);
            bytes[2 * i] = (byte)bits;
            bytes[(2 * i) + 1] = (byte)(bits >> 8);
        }

        return new Tensor { Dtype = dtype, Shape = { values.Length / Hidden, Hidden }, Data = Google.Protobuf.ByteString.CopyFrom(bytes) };
    }

    private static float[] Widen(Tensor tensor)
    {
        var data = tensor.Data.Span;
        var values = new float[data.Length / 2];
        for (var i = 0; i < values.Length; i++)
        {
            var bits = (ushort)(data[2 * i] | (data[(2 * i) + 1] << 8));
            values[i] = tensor.Dtype == "float16" ? (float)BitConverter.UInt16BitsToHalf(bits) : BitConverter.Int32BitsToSingle(bits << 16);
        }

        return values;
    }

    private List<float[]> RunInProcess(int start, int end, IReadOnlyList<(float[] Values, int Tokens)> steps)
    {
        using var file = GgufFile.Open(TinyWorker.WriteModel(_home.Path));
        using var span = new SpanModel(new GgufLlamaWeights(file), start, end);
        using var sessions = new SpanSessionManager(span, Options.Create(new SpanSessionOptions()), TimeProvider.System);
        var session = sessions.Open(16);
        return [.. steps.Select(step => sessions.Step(session, step.Values, step.Tokens))];
    }
}
