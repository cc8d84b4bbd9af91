// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Tests.Onnx;

internal static class OnnxAssert
{
    /// <summary>Asserts |expected − actual| ≤ absolute + relative·|expected| element-wise; returns the largest difference.</summary>
    public static double Close(float[] expected, float[] actual, double absolute, double relative = 0, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(float.IsFinite(actual[i]), $"{what}[{i}] = {actual[i]}");
            var difference = Math.Abs((double)expected[i] - actual[i]);
            worst = Math.Max(worst, difference);
            Assert.True(
                difference <= absolute + (relative * Math.Abs(expected[i])),
                $"{what}[{i}]: expected {expected[i]}, got {actual[i]} (|diff| {difference:E2})");
        }

        return worst;
    }

    /// <summary>Seeded values in [−amplitude, amplitude].</summary>
    public static float[] Random(int seed, int count, float amplitude = 2f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = amplitude * ((2 * random.NextSingle()) - 1);
        }

        return values;
    }
}
