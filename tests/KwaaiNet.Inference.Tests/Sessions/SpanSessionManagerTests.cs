// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Model;
using KwaaiNet.Inference.Onnx;
using KwaaiNet.Inference.Sessions;
using KwaaiNet.Inference.Tests.Onnx;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace KwaaiNet.Inference.Tests.Sessions;

public sealed class SpanSessionManagerTests
{
    private const int Layers = 3;
    private const double Fp32Tolerance = 1e-4;

    // fp16 weights, activations and KV cache against the fp32 reference (the span graph tests measured ≤ 1.9e-3).
    private const double Fp16Tolerance = 1e-2;

    private static readonly int[] PrefillThenDecode = [5, 1, 1, 1, 1];

    private static LlamaConfig Config(int layers = Layers) => LlamaSpanGraphTests.Config(64, 4, 2, 500_000f, layers);

    [Theory]
    [InlineData(LlamaGraphPrecision.Fp32, 0, Layers, Fp32Tolerance)]
    [InlineData(LlamaGraphPrecision.Fp32, 1, Layers, Fp32Tolerance)]
    [InlineData(LlamaGraphPrecision.Fp16, 0, Layers, Fp16Tolerance)]
    public void Step_PrefillThenDecode_MatchesReference(LlamaGraphPrecision precision, int start, int end, double tolerance)
    {
        var weights = new RandomLlamaWeights(Config(), seed: 21);
        using var model = new SpanModel(weights, start, end, precision);
        using var manager = Manager(model);
        var reference = new LlamaReference(weights);
        var cache = new LlamaReference.Cache();
        var session = manager.Open(maxLength: 9);

        for (var step = 0; step < PrefillThenDecode.Length; step++)
        {
            var tokens = PrefillThenDecode[step];
            var input = Hidden(30 + step, tokens);
            var output = manager.Step(session, input, tokens, TestContext.Current.CancellationToken);
            OnnxAssert.Close(reference.Layers(input, start, end, cache), output, tolerance, tolerance, $"step {step}");
        }

        Assert.Equal(9, session.Length);
    }

    [Theory]
    [InlineData(LlamaGraphPrecision.Fp32, Fp32Tolerance)]
    [InlineData(LlamaGraphPrecision.Fp16, Fp16Tolerance)]
    public void Step_DecodeToMaxLength_EveryStepMatchesReferenceAndTheNextIsRefused(LlamaGraphPrecision precision, double tolerance)
    {
        const int MaxLength = 40;
        var weights = new RandomLlamaWeights(Config(), seed: 23);
        using var model = new SpanModel(weights, 0, Layers, precision);
        using var manager = Manager(model);
        var reference = new LlamaReference(weights);
        var cache = new LlamaReference.Cache();
        var session = manager.Open(MaxLength);
        var token = TestContext.Current.CancellationToken;

        var prompt = Hidden(50, 7);
        OnnxAssert.Close(reference.Layers(prompt, 0, Layers, cache), manager.Step(session, prompt, 7, token), tolerance, tolerance, "prefill");
        for (var position = 7; position < MaxLength; position++)
        {
            var input = Hidden(51 + position, 1);
            OnnxAssert.Close(
                reference.Layers(input, 0, Layers, cache), manager.Step(session, input, 1, token), tolerance, tolerance, $"position {position}");
        }

        Assert.Equal(MaxLength, session.Length);
        var full = Assert.Throws<InferenceSessionException>(() => manager.Step(session, Hidden(99, 1), 1, token));
        Assert.Equal(InferenceSessionError.MaxLengthExceeded, full.Error);
        Assert.Equal(InferenceSessionError.MaxLengthExceeded, Assert.Throws<InferenceSessionException>(
            () => manager.StepBatch([(session, Hidden(98, 1))], token)).Error);
        Assert.Equal(MaxLength, session.Length);
    }

    [Fact]
    public void Step_PromptFillingTheWholeMaxLength_MatchesReference()
    {
        var weights = new RandomLlamaWeights(Config(), seed: 24);
        using var model = new SpanModel(weights, 0, Layers);
        using var manager = Manager(model);
        var session = manager.Open(6);
        var prompt = Hidden(60, 6);

        var output = manager.Step(session, prompt, 6, TestContext.Current.CancellationToken);

        OnnxAssert.Close(new LlamaReference(weights).Layers(prompt, 0, Layers, new LlamaReference.Cache()), output, Fp32Tolerance);
        Assert.Equal(6, session.Length);
    }

    [Theory]
    [InlineData(LlamaGraphPrecision.Fp32, 4)]
    [InlineData(LlamaGraphPrecision.Fp16, 2)]
    public void Open_AllocatesTheKvCacheForTheMaxLengthAndCloseFreesIt(LlamaGraphPrecision precision, int elementSize)
    {
        var config = Config();
        using var model = new SpanModel(new RandomLlamaWeights(config, seed: 25), 1, Layers, precision);
        using var manager = Manager(model);

        var session = manager.Open(12);

        var cache = Assert.IsType<SpanKvCache>(session.Cache);
        Assert.Equal(12, cache.Capacity);
        long bytes = 0;
        foreach (var buffer in cache.Keys.Concat(cache.Values))
        {
            Assert.Equal([1L, config.KvHeadCount, 12L, config.HeadSize], buffer.GetTensorTypeAndShape().Shape);
            bytes += buffer.GetTensorTypeAndShape().ElementCount * elementSize;
        }

        // What the session holds is exactly what the budget reserved for it.
        Assert.Equal(12 * model.BytesPerToken, bytes);
        Assert.True(manager.Close(session));
        Assert.Null(session.Cache);
    }

    [Fact]
    public void Step_InterleavedSessions_EqualEachSessionRunAlone()
    {
        var weights = new RandomLlamaWeights(Config(), seed: 22);
        using var model = new SpanModel(weights, 0, Layers);
        using var manager = Manager(model);
        var a = manager.Open(16);
        var b = manager.Open(16);
        var aInputs = Inputs(100, PrefillThenDecode);
        int[] bChunks = [3, 2, 1, 1, 1];
        var bInputs = Inputs(200, bChunks);

        List<float[]> aOutputs = [], bOutputs = [];
        for (var step = 0; step < aInputs.Length; step++)
        {
            aOutputs.Add(manager.Step(a, aInputs[step], PrefillThenDecode[step], TestContext.Current.CancellationToken));
            bOutputs.Add(manager.Step(b, bInputs[step], bChunks[step], TestContext.Current.CancellationToken));
        }

        var aAlone = RunAlone(model, aInputs, PrefillThenDecode);
        var bAlone = RunAlone(model, bInputs, bChunks);
        for (var step = 0; step < aInputs.Length; step++)
        {
            OnnxAssert.Close(aAlone[step], aOutputs[step], 1e-6, what: $"A step {step}");
            OnnxAssert.Close(bAlone[step], bOutputs[step], 1e-6, what: $"B step {step}");
        }

        // And a session alone is the reference computation, so the interleaving did not hide a shared error.
        var reference = new LlamaReference(weights);
        var cache = new LlamaReference.Cache();
        for (var step = 0; step < aInputs.Length; step++)
        {
            OnnxAssert.Close(reference.Layers(aInputs[step], 0, Layers, cache), aOutputs[step], Fp32Tolerance, what: $"A ref {step}");
        }
    }

    [Fact]
    public void Rewind_ThenStepAgain_EqualsASessionThatNeverSawTheDroppedTokens()
    {
        var weights = new RandomLlamaWeights(Config(), seed: 24);
        using var model = new SpanModel(weights, 0, Layers);
        using var manager = Manager(model);
        var ct = TestContext.Current.CancellationToken;
        var prompt = Hidden(300, 4);
        var wrong = Hidden(301, 2);
        var right = Hidden(302, 1);

        var rewound = manager.Open(8);
        manager.Step(rewound, prompt, 4, ct);
        manager.Step(rewound, wrong, 2, ct);
        manager.Rewind(rewound, 4);
        Assert.Equal(4, rewound.Length);
        var afterRewind = manager.Step(rewound, right, 1, ct);

        var clean = manager.Open(8);
        manager.Step(clean, prompt, 4, ct);
        OnnxAssert.Close(manager.Step(clean, right, 1, ct), afterRewind, 1e-6, what: "step after the rewind");

        Assert.Throws<ArgumentOutOfRangeException>(() => manager.Rewind(rewound, 6));
        Assert.Throws<ArgumentOutOfRangeException>(() => manager.Rewind(rewound, -1));
        manager.Close(rewound);
        Assert.Throws<InferenceSessionException>(() => manager.Rewind(rewound, 0));
    }

    [Fact]
    public async Task Step_ConcurrentSessions_EachMatchesReferenceAsync()
    {
        var weights = new RandomLlamaWeights(Config(), seed: 23);
        using var model = new SpanModel(weights, 0, Layers);
        using var manager = Manager(model);
        var reference = new LlamaReference(weights);

        var runs = Enumerable.Range(0, 4).Select(index => Task.Run(
            () =>
            {
                var session = manager.Open(16);
                var cache = new LlamaReference.Cache();
                var inputs = Inputs(300 + (10 * index), PrefillThenDecode);
                for (var step = 0; step < inputs.Length; step++)
                {
                    var output = manager.Step(session, inputs[step], PrefillThenDecode[step], TestContext.Current.CancellationToken);
                    var expected = reference.Layers(inputs[step], 0, Layers, cache);
                    OnnxAssert.Close(expected, output, Fp32Tolerance, what: $"session {index} step {step}");
                }
            },
            TestContext.Current.CancellationToken));
        await Task.WhenAll(runs);

        Assert.Equal(4, manager.OpenSessionCount);
    }

    [Fact]
    public void Step_TwoChainedSpanModels_EqualTheWholeModel()
    {
        const int layers = 4, split = 1;
        var weights = new RandomLlamaWeights(Config(layers), seed: 24);
        using var first = new SpanModel(weights, 0, split);
        using var second = new SpanModel(weights, split, layers);
        using var firstManager = Manager(first);
        using var secondManager = Manager(second);
        var firstSession = firstManager.Open(9);
        var secondSession = secondManager.Open(9);
        var reference = new LlamaReference(weights);
        var cache = new LlamaReference.Cache();

        for (var step = 0; step < PrefillThenDecode.Length; step++)
        {
            var tokens = PrefillThenDecode[step];
            var input = Hidden(400 + step, tokens);
            var middle = firstManager.Step(firstSession, input, tokens, TestContext.Current.CancellationToken);
            var output = secondManager.Step(secondSession, middle, tokens, TestContext.Current.CancellationToken);
            OnnxAssert.Close(reference.Layers(input, 0, layers, cache), output, Fp32Tolerance, what: $"step {step}");
        }
    }

    [Theory]
    [InlineData(LlamaGraphPrecision.Fp32, 4)]
    [InlineData(LlamaGraphPrecision.Fp16, 2)]
    public void BytesPerToken_IsKeysAndValuesOfEveryLayer(LlamaGraphPrecision precision, int elementSize)
    {
        var config = Config();
        using var model = new SpanModel(new RandomLlamaWeights(config, seed: 25), 1, Layers, precision);

        // 2 layers × (keys + values) × 2 KV heads × head size 16.
        Assert.Equal(2L * 2 * config.KvHeadCount * config.HeadSize * elementSize, model.BytesPerToken);
        Assert.Equal(1, model.Start);
        Assert.Equal(Layers, model.End);
        Assert.Equal(precision, model.Precision);
        Assert.Same(config, model.Config);
    }

    [Fact]
    public void Open_BeyondBudget_IsRefusedAndCloseReturnsTheReservation()
    {
        using var model = new SpanModel(new RandomLlamaWeights(Config(), seed: 26), 0, Layers);
        using var manager = Manager(model, budgetTokens: 10);
        Assert.Equal(10, manager.CacheTokensLeft);

        var first = manager.Open(6);
        Assert.Equal(4, manager.CacheTokensLeft);
        var refused = Assert.Throws<InferenceSessionException>(() => manager.Open(5));
        Assert.Equal(InferenceSessionError.CacheBudgetExceeded, refused.Error);
        Assert.Contains("room for 4 more tokens, not 5", refused.Message, StringComparison.Ordinal);
        Assert.Equal(4, manager.CacheTokensLeft);

        var second = manager.Open(4);
        Assert.Equal(0, manager.CacheTokensLeft);
        Assert.Throws<InferenceSessionException>(() => manager.Open(1));

        Assert.True(manager.Close(first));
        Assert.Equal(6, manager.CacheTokensLeft);
        Assert.False(manager.Close(first));
        Assert.Equal(6, manager.CacheTokensLeft);
        Assert.True(first.IsClosed);

        // The room the closed session left is usable again, and the other session still works.
        var third = manager.Open(6);
        Assert.Equal(0, manager.CacheTokensLeft);
        Assert.Equal(64, manager.Step(second, Hidden(1, 1), 1, TestContext.Current.CancellationToken).Length);
        Assert.Equal(64, manager.Step(third, Hidden(2, 1), 1, TestContext.Current.CancellationToken).Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65)]   // beyond the span's 64 rotary positions
    public void Open_MaxLengthOutOfRange_IsRefused(int maxLength)
    {
        using var model = new SpanModel(new RandomLlamaWeights(Config(), seed: 27), 0, Layers);
        using var manager = Manager(model);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => manager.Open(maxLength));
        Assert.Equal("maxLength", error.ParamName);
        Assert.Equal(0, manager.OpenSessionCount);
    }

    [Fact]
    public void Step_BadInput_ClearErrorsAndOtherSessionsKeepWorking()
    {
        var weights = new RandomLlamaWeights(Config(), seed: 28);
        using var model = new SpanModel(weights, 0, Layers);
        using var manager = Manager(model);
        using var otherModel = new SpanModel(weights, 0, Layers);
        using var otherManager = Manager(otherModel);
        var reference = new LlamaReference(weights);
        var healthyCache = new LlamaReference.Cache();
        var victimCache = new LlamaReference.Cache();
        var healthy = manager.Open(16);
        var victim = manager.Open(4);
        var token = TestContext.Current.CancellationToken;
        var step = 0;

        void HealthyStillWorks()
        {
            var input = Hidden(500 + step++, 1);
            OnnxAssert.Close(reference.Layers(input, 0, Layers, healthyCache), manager.Step(healthy, input, 1, token), Fp32Tolerance);
        }

        var prefill = Hidden(600, 3);
        OnnxAssert.Close(reference.Layers(prefill, 0, Layers, victimCache), manager.Step(victim, prefill, 3, token), Fp32Tolerance);
        HealthyStillWorks();

        var wrongSize = Assert.Throws<ArgumentException>(() => manager.Step(victim, new float[63], 1, token));
        Assert.Contains("hold 63 values", wrongSize.Message, StringComparison.Ordinal);
        Assert.Contains("need 64", wrongSize.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => manager.Step(victim, new float[128], 1, token));
        HealthyStillWorks();

        Assert.Throws<ArgumentOutOfRangeException>(() => manager.Step(victim, [], 0, token));
        Assert.Throws<ArgumentOutOfRangeException>(() => manager.Step(victim, [], -2, token));
        HealthyStillWorks();

        var full = Assert.Throws<InferenceSessionException>(() => manager.Step(victim, Hidden(601, 2), 2, token));
        Assert.Equal(InferenceSessionError.MaxLengthExceeded, full.Error);
        Assert.Contains("holds 3 of its 4 tokens", full.Message, StringComparison.Ordinal);
        HealthyStillWorks();

        // The refused steps left the victim as it was: its last token still fits and matches.
        var last = Hidden(602, 1);
        OnnxAssert.Close(reference.Layers(last, 0, Layers, victimCache), manager.Step(victim, last, 1, token), Fp32Tolerance);
        Assert.Equal(InferenceSessionError.MaxLengthExceeded,
            Assert.Throws<InferenceSessionException>(() => manager.Step(victim, Hidden(603, 1), 1, token)).Error);

        Assert.True(manager.Close(victim));
        var closed = Assert.Throws<InferenceSessionException>(() => manager.Step(victim, Hidden(604, 1), 1, token));
        Assert.Equal(InferenceSessionError.SessionClosed, closed.Error);
        Assert.Contains("is closed", closed.Message, StringComparison.Ordinal);
        HealthyStillWorks();

        var foreign = otherManager.Open(4);
        Assert.Equal(InferenceSessionError.SessionClosed,
            Assert.Throws<InferenceSessionException>(() => manager.Step(foreign, Hidden(605, 1), 1, token)).Error);
        Assert.False(manager.Close(foreign));
        Assert.False(foreign.IsClosed);
        HealthyStillWorks();
    }

    [Fact]
    public void Step_Cancelled_IsStoppedAndLeavesTheSessionUnchanged()
    {
        var weights = new RandomLlamaWeights(Config(), seed: 29);
        using var model = new SpanModel(weights, 0, Layers);
        using var manager = Manager(model);
        var reference = new LlamaReference(weights);
        var cache = new LlamaReference.Cache();
        var session = manager.Open(8);
        var prefill = Hidden(700, 2);
        manager.Step(session, prefill, 2, TestContext.Current.CancellationToken);
        reference.Layers(prefill, 0, Layers, cache);

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => manager.Step(session, Hidden(701, 1), 1, cancelled.Token));

        Assert.Equal(2, session.Length);
        var next = Hidden(702, 1);
        OnnxAssert.Close(reference.Layers(next, 0, Layers, cache), manager.Step(session, next, 1, TestContext.Current.CancellationToken), Fp32Tolerance);
    }

    [Fact]
    public void Step_PastStepTimeout_FailsClearlyAndLeavesTheSessionUnchanged()
    {
        var weights = new RandomLlamaWeights(Config(), seed: 30);
        using var model = new SpanModel(weights, 0, Layers);

        // Every clock read moves the fake clock a minute, past the 1-second step timeout, so the step's deadline has
        // passed by the time the step starts running.
        var time = new FakeTimeProvider();
        using var manager = Manager(model, time: time, step: TimeSpan.FromSeconds(1));
        var reference = new LlamaReference(weights);
        var cache = new LlamaReference.Cache();
        var session = manager.Open(8);
        var prefill = Hidden(800, 3);
        OnnxAssert.Close(reference.Layers(prefill, 0, Layers, cache), manager.Step(session, prefill, 3, TestContext.Current.CancellationToken), Fp32Tolerance);

        time.AutoAdvanceAmount = TimeSpan.FromMinutes(1);
        var timedOut = Assert.Throws<InferenceSessionException>(() => manager.Step(session, Hidden(801, 1), 1, TestContext.Current.CancellationToken));
        Assert.Equal(InferenceSessionError.StepTimedOut, timedOut.Error);
        Assert.Contains("step timeout", timedOut.Message, StringComparison.Ordinal);
        Assert.Equal(3, session.Length);

        time.AutoAdvanceAmount = TimeSpan.Zero;
        var next = Hidden(802, 1);
        OnnxAssert.Close(reference.Layers(next, 0, Layers, cache), manager.Step(session, next, 1, TestContext.Current.CancellationToken), Fp32Tolerance);
    }

    [Fact]
    public void SweepIdle_ClosesOnlySessionsIdlePastTheTimeout()
    {
        using var model = new SpanModel(new RandomLlamaWeights(Config(), seed: 31), 0, Layers);
        var time = new FakeTimeProvider();
        using var manager = Manager(model, budgetTokens: 20, time: time, idle: TimeSpan.FromMinutes(10));
        var idle = manager.Open(8);
        var busy = manager.Open(8);
        Assert.Equal(4, manager.CacheTokensLeft);

        // The timer sweeps every 5 minutes; at 5 and 10 minutes nothing has been unused for 10.
        time.Advance(TimeSpan.FromMinutes(1));
        manager.Step(idle, Hidden(900, 2), 2, TestContext.Current.CancellationToken);
        time.Advance(TimeSpan.FromMinutes(4));
        manager.Step(busy, Hidden(901, 1), 1, TestContext.Current.CancellationToken);
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.False(idle.IsClosed);
        Assert.Equal(0, manager.SweepIdle());
        time.Advance(TimeSpan.FromMinutes(1));   // idle: 10 minutes unused; busy: 6

        Assert.Equal(1, manager.SweepIdle());
        Assert.True(idle.IsClosed);
        Assert.False(busy.IsClosed);
        Assert.Equal(12, manager.CacheTokensLeft);
        Assert.Equal(InferenceSessionError.SessionClosed,
            Assert.Throws<InferenceSessionException>(() => manager.Step(idle, Hidden(902, 1), 1, TestContext.Current.CancellationToken)).Error);
        manager.Step(busy, Hidden(903, 1), 1, TestContext.Current.CancellationToken);
        Assert.Equal(2, busy.Length);
    }

    [Fact]
    public void IdleTimer_ClosesAnIdleSessionWithoutAnExplicitSweep()
    {
        using var model = new SpanModel(new RandomLlamaWeights(Config(), seed: 32), 0, Layers);
        var time = new FakeTimeProvider();
        using var manager = Manager(model, budgetTokens: 20, time: time, idle: TimeSpan.FromMinutes(10));
        var session = manager.Open(8);

        time.Advance(TimeSpan.FromMinutes(9));
        Assert.False(session.IsClosed);
        time.Advance(TimeSpan.FromMinutes(6));   // the sweep at 15 minutes sees 15 minutes unused

        Assert.True(session.IsClosed);
        Assert.Equal(0, manager.OpenSessionCount);
        Assert.Equal(20, manager.CacheTokensLeft);
    }

    [Theory]
    [InlineData(LlamaGraphPrecision.Fp32, 1e-5)]
    [InlineData(LlamaGraphPrecision.Fp16, 5e-3)]
    public void StepBatch_EqualsIndividualSteps(LlamaGraphPrecision precision, double tolerance)
    {
        var weights = new RandomLlamaWeights(Config(), seed: 33);
        using var model = new SpanModel(weights, 0, Layers, precision);
        using var manager = Manager(model);
        using var aloneManager = Manager(model);
        int[] prefills = [5, 2, 0, 3];

        // Different maximum lengths, so each session's cache buffers have their own row stride.
        var batched = prefills.Select((_, s) => manager.Open(10 + (3 * s))).ToArray();
        var alone = prefills.Select(_ => aloneManager.Open(16)).ToArray();
        for (var s = 0; s < prefills.Length; s++)
        {
            if (prefills[s] > 0)
            {
                var input = Hidden(1000 + s, prefills[s]);
                manager.Step(batched[s], input, prefills[s], TestContext.Current.CancellationToken);
                aloneManager.Step(alone[s], input, prefills[s], TestContext.Current.CancellationToken);
            }
        }

        for (var round = 0; round < 3; round++)
        {
            var inputs = prefills.Select((_, s) => Hidden(1100 + (10 * round) + s, 1)).ToArray();
            var outputs = manager.StepBatch(
                [.. batched.Select((session, s) => (session, inputs[s]))], TestContext.Current.CancellationToken);

            Assert.Equal(prefills.Length, outputs.Count);
            for (var s = 0; s < prefills.Length; s++)
            {
                var expected = aloneManager.Step(alone[s], inputs[s], 1, TestContext.Current.CancellationToken);
                OnnxAssert.Close(expected, outputs[s], tolerance, tolerance, $"round {round} session {s}");
                Assert.Equal(prefills[s] + round + 1, batched[s].Length);
            }
        }

        // After batched rounds each session's cache carries on correctly in single steps.
        for (var s = 0; s < prefills.Length; s++)
        {
            var input = Hidden(1200 + s, 2);
            OnnxAssert.Close(
                aloneManager.Step(alone[s], input, 2, TestContext.Current.CancellationToken),
                manager.Step(batched[s], input, 2, TestContext.Current.CancellationToken),
                tolerance,
                tolerance,
                $"after batch, session {s}");
        }
    }

    [Fact]
    public void StepBatch_BadInput_IsRefusedAndChangesNoSession()
    {
        using var model = new SpanModel(new RandomLlamaWeights(Config(), seed: 34), 0, Layers);
        using var manager = Manager(model);
        var a = manager.Open(3);
        var b = manager.Open(8);
        var closed = manager.Open(8);
        manager.Close(closed);
        var token = TestContext.Current.CancellationToken;
        manager.Step(a, Hidden(1300, 3), 3, token);

        Assert.Throws<ArgumentException>(() => manager.StepBatch([], token));
        Assert.Throws<ArgumentException>(() => manager.StepBatch([(b, Hidden(1, 1)), (b, Hidden(2, 1))], token));
        Assert.Contains("need 64", Assert.Throws<ArgumentException>(
            () => manager.StepBatch([(b, Hidden(3, 2))], token)).Message, StringComparison.Ordinal);
        Assert.Equal(InferenceSessionError.SessionClosed, Assert.Throws<InferenceSessionException>(
            () => manager.StepBatch([(b, Hidden(4, 1)), (closed, Hidden(5, 1))], token)).Error);
        Assert.Equal(InferenceSessionError.MaxLengthExceeded, Assert.Throws<InferenceSessionException>(
            () => manager.StepBatch([(b, Hidden(6, 1)), (a, Hidden(7, 1))], token)).Error);

        Assert.Equal(0, b.Length);
        Assert.Equal(3, a.Length);
        Assert.Single(manager.StepBatch([(b, Hidden(8, 1))], token));
        Assert.Equal(1, b.Length);
    }

    [Fact]
    public void Dispose_ClosesEverySessionAndRefusesNewOnes()
    {
        using var model = new SpanModel(new RandomLlamaWeights(Config(), seed: 35), 0, Layers);
        var manager = Manager(model, budgetTokens: 20);
        var a = manager.Open(8);
        var b = manager.Open(8);
        manager.Step(a, Hidden(1400, 2), 2, TestContext.Current.CancellationToken);

        manager.Dispose();

        Assert.True(a.IsClosed);
        Assert.True(b.IsClosed);
        Assert.Equal(0, manager.OpenSessionCount);
        Assert.Equal(20, manager.CacheTokensLeft);
        Assert.Throws<ObjectDisposedException>(() => manager.Open(1));
        Assert.Equal(InferenceSessionError.SessionClosed, Assert.Throws<InferenceSessionException>(
            () => manager.Step(a, Hidden(1401, 1), 1, TestContext.Current.CancellationToken)).Error);
    }

    [Theory]
    [InlineData(-1L, 60, 60)]
    [InlineData(1024L, 0, 60)]
    [InlineData(1024L, 60, -5)]
    public void Constructor_BadOptions_AreRefused(long budget, int idleSeconds, int stepSeconds)
    {
        using var model = new SpanModel(new RandomLlamaWeights(Config(), seed: 36), 0, 1);
        var options = Options.Create(new SpanSessionOptions
        {
            KvCacheBudgetBytes = budget,
            IdleTimeout = TimeSpan.FromSeconds(idleSeconds),
            StepTimeout = TimeSpan.FromSeconds(stepSeconds),
        });

        Assert.Throws<ArgumentOutOfRangeException>(() => new SpanSessionManager(model, options, TimeProvider.System));
    }

    [Fact]
    public void SpanModel_UsesTheGivenSessionOptionsFactory()
    {
        var created = 0;
        using var model = new SpanModel(
            new RandomLlamaWeights(Config(), seed: 37),
            0,
            1,
            sessionOptions: () =>
            {
                created++;
                return new Microsoft.ML.OnnxRuntime.SessionOptions { IntraOpNumThreads = 1 };
            });
        using var manager = Manager(model);

        Assert.Equal(1, created);
        Assert.Equal(64, manager.Step(manager.Open(2), Hidden(1500, 2), 2, TestContext.Current.CancellationToken).Length / 2);
    }

    private static SpanSessionManager Manager(
        SpanModel model, long budgetTokens = 1000, TimeProvider? time = null, TimeSpan? idle = null, TimeSpan? step = null) =>
        new(
            model,
            Options.Create(new SpanSessionOptions
            {
                KvCacheBudgetBytes = budgetTokens * model.BytesPerToken,
                IdleTimeout = idle ?? Timeout.InfiniteTimeSpan,
                StepTimeout = step ?? Timeout.InfiniteTimeSpan,
            }),
            time ?? TimeProvider.System);

    private static float[] Hidden(int seed, int tokens) => OnnxAssert.Random(seed, tokens * 64);

    private static float[][] Inputs(int seed, int[] chunks) => [.. chunks.Select((tokens, step) => Hidden(seed + step, tokens))];

    private static List<float[]> RunAlone(SpanModel model, float[][] inputs, int[] chunks)
    {
        using var manager = Manager(model);
        var session = manager.Open(16);
        return [.. inputs.Select((input, step) => manager.Step(session, input, chunks[step], TestContext.Current.CancellationToken))];
    }
}
