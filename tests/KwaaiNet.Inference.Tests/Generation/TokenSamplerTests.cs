// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Generation;

namespace KwaaiNet.Inference.Tests.Generation;

public sealed class TokenSamplerTests
{
    private static readonly float Ln3 = MathF.Log(3);

    [Fact]
    public void Next_Greedy_ReturnsTheArgMaxAndTheLowestIdOnTies()
    {
        var sampler = new TokenSampler(SamplingOptions.Greedy);

        Assert.Equal(1, sampler.Next([0.1f, 2f, -1f, 2f, 0.5f], []));
        Assert.Equal(4, sampler.Next([-5f, -4f, -3f, -2f, -1f], []));
        Assert.Equal(2, sampler.Next([float.NegativeInfinity, -7f, 3f, float.NegativeInfinity], []));
    }

    [Fact]
    public void Next_TopKOne_EqualsGreedyWhateverTheTemperatureAndSeed()
    {
        var random = new Random(3);
        var greedy = new TokenSampler(SamplingOptions.Greedy);
        for (var trial = 0; trial < 200; trial++)
        {
            // Rounded logits make ties common, so the tie rule is exercised too.
            var logits = Enumerable.Range(0, 32).Select(_ => MathF.Round((random.NextSingle() * 8) - 4)).ToArray();
            var topOne = new TokenSampler(new SamplingOptions { Temperature = 1.7f, TopK = 1, Seed = (ulong)trial });

            Assert.Equal(greedy.Next(logits.ToArray(), []), topOne.Next(logits.ToArray(), []));
        }
    }

    [Fact]
    public void Next_TopK_DrawsOnlyTheKBestAndEachOfThem()
    {
        var random = new Random(11);
        var logits = Enumerable.Range(0, 50).Select(_ => random.NextSingle() * 2).ToArray();
        var best = logits.Select(static (logit, id) => (logit, id)).OrderByDescending(static x => x.logit).Take(5)
            .Select(static x => x.id).ToHashSet();
        HashSet<int> drawn = [];

        for (ulong seed = 0; seed < 100; seed++)
        {
            var sampler = new TokenSampler(new SamplingOptions { Temperature = 2f, TopK = 5, Seed = seed });
            for (var draw = 0; draw < 20; draw++)
            {
                drawn.Add(sampler.Next(logits.ToArray(), []));
            }
        }

        Assert.Equal(best.Order(), drawn.Order());
    }

    [Theory]
    [InlineData(0.75f, new[] { 0, 1 })]           // 0.5 < 0.75 <= 0.5 + 0.3
    [InlineData(0.85f, new[] { 0, 1, 2 })]        // 0.8 < 0.85 <= 0.8 + 0.15
    [InlineData(0.01f, new[] { 0 })]              // the most likely token alone already reaches p
    [InlineData(1f, new[] { 0, 1, 2, 3 })]        // off
    public void Next_TopP_DrawsTheNucleusOnly(float topP, int[] nucleus)
    {
        // Probabilities 0.05, 0.15, 0.3, 0.5 in reverse id order, so the ranking is not the id order.
        float[] probabilities = [0.5f, 0.3f, 0.15f, 0.05f];
        int[] ids = [3, 0, 2, 1];
        var logits = new float[4];
        for (var rank = 0; rank < 4; rank++)
        {
            logits[ids[rank]] = MathF.Log(probabilities[rank]);
        }

        var sampler = new TokenSampler(new SamplingOptions { TopP = topP, Seed = 5 });
        HashSet<int> drawn = [];
        for (var draw = 0; draw < 2000; draw++)
        {
            drawn.Add(sampler.Next(logits.ToArray(), []));
        }

        Assert.Equal(nucleus.Select(rank => ids[rank]).Order(), drawn.Order());
    }

    [Fact]
    public void Next_TopP_RenormalisesOverTheNucleus()
    {
        // Nucleus {0, 1} at p = 0.75: token 0 then has 0.5 / 0.8 = 0.625.
        float[] logits = [MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.15f), MathF.Log(0.05f)];
        var sampler = new TokenSampler(new SamplingOptions { TopP = 0.75f, Seed = 9 });

        var zeros = Enumerable.Range(0, 4000).Count(_ => sampler.Next(logits.ToArray(), []) == 0);

        Assert.InRange(zeros / 4000.0, 0.595, 0.655);
    }

    [Fact]
    public void Next_TopP_NucleusOfManySmallTokens_IsCutInRankOrder()
    {
        // One token of weight 1 and 10,000 tied ones of weight e^-10 each (total 0.454): p = 0.9 needs the first
        // token and about 6,700 of the tied ones, the lowest ids, which all lie far below the likeliest token.
        const int Tied = 10_000;
        var logits = new float[Tied + 1];
        logits.AsSpan(1).Fill(-10f);
        var weight = Math.Exp(-10);
        var cut = (int)Math.Ceiling(((0.9 * (1 + (Tied * weight))) - 1) / weight);
        var sampler = new TokenSampler(new SamplingOptions { TopP = 0.9f, Seed = 4 });

        var drawn = Enumerable.Range(0, 3000).Select(_ => sampler.Next(logits.ToArray(), [])).ToArray();

        Assert.InRange(drawn.Max(), cut * 0.95, cut + 2);
        Assert.InRange(drawn.Count(static id => id == 0) / 3000.0, 0.73, 0.80);   // 1 / (0.9 × 1.454) = 0.766
    }

    [Theory]
    [InlineData(1f, 0.75)]     // logits ln 3 and 0: probabilities 3/4, 1/4
    [InlineData(0.5f, 0.9)]    // ln 3 / 0.5 = ln 9: 9/10
    [InlineData(2f, 0.634)]    // ln 3 / 2 = ln √3: √3 / (√3 + 1)
    public void Next_Sampling_FollowsTheSoftmaxOfTheTemperedLogits(float temperature, double expected)
    {
        var sampler = new TokenSampler(new SamplingOptions { Temperature = temperature, Seed = 1 });

        var zeros = Enumerable.Range(0, 4000).Count(_ => sampler.Next([Ln3, 0f], []) == 0);

        // 4000 draws: a standard deviation of at most 0.008, so ±0.03 is about four of them.
        Assert.InRange(zeros / 4000.0, expected - 0.03, expected + 0.03);
    }

    [Fact]
    public void Next_NegativeInfinity_IsNeverDrawn()
    {
        var sampler = new TokenSampler(new SamplingOptions { Temperature = 5f, Seed = 2 });
        float[] logits = [float.NegativeInfinity, 0f, float.NegativeInfinity, 0f, float.NegativeInfinity];

        var drawn = Enumerable.Range(0, 500).Select(_ => sampler.Next(logits.ToArray(), [])).ToHashSet();

        Assert.Equal<int>([1, 3], drawn.Order());
    }

    [Theory]
    [InlineData(1.5f, 2f, 1.5f, 1)]       // 2 / 1.5 = 1.33 falls below 1.5
    [InlineData(1.5f, -1f, -1.2f, 1)]     // -1 * 1.5 = -1.5 falls below -1.2
    [InlineData(0.5f, 1f, 1.5f, 0)]       // a penalty below 1 favours repeats: 1 / 0.5 = 2 rises above 1.5
    [InlineData(1f, 2f, 1.5f, 0)]         // off
    public void Next_RepetitionPenalty_FlipsTheChoice(float penalty, float repeated, float other, int expected)
    {
        var sampler = new TokenSampler(SamplingOptions.Greedy with { RepetitionPenalty = penalty });

        Assert.Equal(expected, sampler.Next([repeated, other], [0]));
    }

    [Theory]
    [InlineData(2f, 0.9f)]      // once: 2 / 1.5 = 1.33 stays above 0.9; twice would be 0.89
    [InlineData(-1f, -2.1f)]    // once: -1.5 stays above -2.1; twice would be -2.25
    public void Next_RepetitionPenalty_AppliesOncePerDistinctToken(float repeated, float other)
    {
        var sampler = new TokenSampler(SamplingOptions.Greedy with { RepetitionPenalty = 1.5f });
        float[] logits = [repeated, other, -9f];

        Assert.Equal(0, sampler.Next(logits, [0, 2, 0, 0, 2]));
        Assert.Equal(repeated > 0 ? repeated / 1.5f : repeated * 1.5f, logits[0]);
        Assert.Equal(-13.5f, logits[2]);
        Assert.Equal(other, logits[1]);
    }

    [Fact]
    public void Next_RepetitionPenalty_ComesBeforeTopK()
    {
        // Token 0 leads until penalised; then top-k 1 keeps token 1 only.
        var sampler = new TokenSampler(new SamplingOptions { RepetitionPenalty = 4f, TopK = 1, Seed = 3 });

        Assert.Equal(1, sampler.Next([2f, 1f, 0f], [0]));
    }

    [Fact]
    public void Next_SameSeed_SameTokens_OtherSeed_OtherTokens()
    {
        var first = Draws(seed: 7);

        Assert.Equal(first, Draws(seed: 7));
        Assert.NotEqual(first, Draws(seed: 8));

        static int[] Draws(ulong seed)
        {
            var sampler = new TokenSampler(new SamplingOptions { Seed = seed, TopK = 8, TopP = 0.95f });
            var logits = new float[16];
            return [.. Enumerable.Range(0, 64).Select(_ => sampler.Next(logits.AsSpan(), []))];
        }
    }

    [Fact]
    public void Xoshiro256StarStar_SeedFortyTwo_GivesThePinnedSequence()
    {
        // Pinned so that a seed keeps drawing the same tokens across releases.
        var random = new Xoshiro256StarStar(42);

        Assert.Equal(0x15780b2e0c2ec716UL, random.NextUInt64());
        Assert.Equal(0x6104d9866d113a7eUL, random.NextUInt64());
        Assert.Equal(0xae17533239e499a1UL, random.NextUInt64());
    }

    [Theory]
    [InlineData(float.NaN, "logit 1 is NaN")]
    [InlineData(float.PositiveInfinity, "logit 1 is +inf")]
    public void Next_BrokenLogits_AreRejectedWithTheIndex(float bad, string message)
    {
        var sampler = new TokenSampler(new SamplingOptions { Seed = 1 });

        var error = Assert.Throws<ArgumentException>(() => sampler.Next([0f, bad, 1f], []));
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Next_AllNegativeInfinity_IsRejected()
    {
        var sampler = new TokenSampler(SamplingOptions.Greedy);

        var error = Assert.Throws<ArgumentException>(() => sampler.Next([float.NegativeInfinity, float.NegativeInfinity], []));
        Assert.StartsWith("every logit is -inf", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Next_HistoryOutsideTheVocabulary_IsRejected()
    {
        var sampler = new TokenSampler(SamplingOptions.Greedy with { RepetitionPenalty = 1.2f });

        var error = Assert.Throws<ArgumentException>(() => sampler.Next([0f, 1f], [1, 2]));
        Assert.Equal("history", error.ParamName);
    }

    [Theory]
    [InlineData(nameof(SamplingOptions.Temperature), float.NaN)]
    [InlineData(nameof(SamplingOptions.Temperature), -0.5f)]
    [InlineData(nameof(SamplingOptions.Temperature), float.PositiveInfinity)]
    [InlineData(nameof(SamplingOptions.TopK), -1f)]
    [InlineData(nameof(SamplingOptions.TopP), 0f)]
    [InlineData(nameof(SamplingOptions.TopP), 1.01f)]
    [InlineData(nameof(SamplingOptions.TopP), float.NaN)]
    [InlineData(nameof(SamplingOptions.RepetitionPenalty), 0f)]
    [InlineData(nameof(SamplingOptions.RepetitionPenalty), -1f)]
    [InlineData(nameof(SamplingOptions.RepetitionPenalty), float.NaN)]
    [InlineData(nameof(SamplingOptions.RepetitionPenalty), float.PositiveInfinity)]
    public void Constructor_BadOption_IsRejectedByName(string field, float value)
    {
        var options = field switch
        {
            nameof(SamplingOptions.Temperature) => new SamplingOptions { Temperature = value },
            nameof(SamplingOptions.TopK) => new SamplingOptions { TopK = (int)value },
            nameof(SamplingOptions.TopP) => new SamplingOptions { TopP = value },
            _ => new SamplingOptions { RepetitionPenalty = value },
        };

        Assert.Equal(field, Assert.Throws<ArgumentOutOfRangeException>(options.Validate).ParamName);
        Assert.Equal(field, Assert.Throws<ArgumentOutOfRangeException>(() => new TokenSampler(options)).ParamName);
    }

    [Fact]
    public void Validate_Defaults_AreValid()
    {
        new SamplingOptions().Validate();
        SamplingOptions.Greedy.Validate();
        new SamplingOptions { Temperature = 0, TopK = 0, TopP = 1e-6f, RepetitionPenalty = 1e-3f }.Validate();

        Assert.Equal(0f, SamplingOptions.Greedy.Temperature);
    }
}
