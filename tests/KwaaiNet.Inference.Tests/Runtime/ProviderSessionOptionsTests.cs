// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Onnx;
using KwaaiNet.Inference.Runtime;
using KwaaiNet.Inference.Sessions;
using KwaaiNet.Inference.Tests.Onnx;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

namespace KwaaiNet.Inference.Tests.Runtime;

public sealed class ProviderSessionOptionsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Create_Cpu_SetsTheThreadsSequentialExecutionAndFullOptimization(int threads)
    {
        using var options = ProviderSessionOptions.Create(ExecutionProviders.Cpu, threads);

        Assert.Equal(threads, options.IntraOpNumThreads);
        Assert.Equal(1, options.InterOpNumThreads);
        Assert.Equal(ExecutionMode.ORT_SEQUENTIAL, options.ExecutionMode);
        Assert.Equal(GraphOptimizationLevel.ORT_ENABLE_ALL, options.GraphOptimizationLevel);
    }

    [Fact]
    public void Create_NegativeThreads_IsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ProviderSessionOptions.Create(ExecutionProviders.Cpu, -1));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Create_CpuSpanOnTheOptions_EqualsTheSpanOnDefaultOptions(bool prepacking)
    {
        var weights = new RandomLlamaWeights(LlamaSpanGraphTests.Config(64, 4, 2, 10_000f), seed: 41);
        using var tuned = new SpanModel(weights, 0, 3, LlamaGraphPrecision.Fp32, () => ProviderSessionOptions.Create(ExecutionProviders.Cpu, 2, prepacking));
        using var plain = new SpanModel(weights, 0, 3);
        using var tunedManager = Manager(tuned);
        using var plainManager = Manager(plain);
        var a = tunedManager.Open(8);
        var b = plainManager.Open(8);
        var token = TestContext.Current.CancellationToken;

        foreach (var (tokens, seed) in (ReadOnlySpan<(int, int)>)[(4, 1), (1, 2), (1, 3)])
        {
            var input = OnnxAssert.Random(seed, tokens * 64);
            OnnxAssert.Close(plainManager.Step(b, input, tokens, token), tunedManager.Step(a, input, tokens, token), 1e-5);
        }
    }

    private static SpanSessionManager Manager(SpanModel model) =>
        new(model, Options.Create(new SpanSessionOptions { IdleTimeout = Timeout.InfiniteTimeSpan }), TimeProvider.System);
}
