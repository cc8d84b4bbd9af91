// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Model;
using KwaaiNet.Inference.Onnx;
using KwaaiNet.Inference.Sessions;
using KwaaiNet.Inference.Tests.Gguf;
using KwaaiNet.Inference.Tests.Onnx;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Inference.Tests.Sessions;

public sealed class SpanModelTests
{
    [Theory]
    [InlineData(LlamaGraphPrecision.Fp32)]
    [InlineData(LlamaGraphPrecision.Fp16)]
    public void Load_ThroughAnExternalDataFile_EqualsTheInMemoryLoad_AndLeavesNoFileBehind(LlamaGraphPrecision precision)
    {
        using var folder = new TempFolder();
        var weights = new RandomLlamaWeights(LlamaSpanGraphTests.Config(64, 4, 2, 10_000f, 2), seed: 4);
        var input = OnnxAssert.Random(5, 3 * 64);

        using var inMemory = new SpanModel(weights, 0, 2, precision);
        using var throughFile = new SpanModel(weights, 0, 2, precision, null, null, folder.Path, inlineWeightLimitBytes: 0);

        Assert.Equal(Step(inMemory, input), Step(throughFile, input));
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder.Path));
    }

    [Fact]
    public void WeightBytes_CountsEveryMatrixAndNorm()
    {
        // TinyLlama-1.1B: 22 layers of 44,044,288 parameters (norms included), fp16.
        var config = new LlamaConfig(32_000, 2048, 5632, 22, 32, 4, 1e-5f, 10_000f, 2048);

        Assert.Equal(22L * 44_044_288 * 2, SpanModel.WeightBytes(config, 22, 2));
    }

    private static float[] Step(SpanModel model, float[] input)
    {
        using var sessions = new SpanSessionManager(model, Options.Create(new SpanSessionOptions()), TimeProvider.System);
        var session = sessions.Open(4);
        return sessions.Step(session, input, 3, TestContext.Current.CancellationToken);
    }
}
