// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace KwaaiNet.Inference.Onnx;

/// <summary>
/// fp32 values to and from ONNX Runtime's <see cref="Float16"/> (IEEE half, round to nearest even), for the fp16
/// graphs' inputs and outputs. <see cref="Float16"/> is one <c>ushort</c>, laid out as <see cref="Half"/>.
/// </summary>
internal static class Float16Values
{
    public static Float16[] FromFloats(ReadOnlySpan<float> values)
    {
        var halves = new Float16[values.Length];
        TensorPrimitives.ConvertToHalf(values, MemoryMarshal.Cast<Float16, Half>(halves.AsSpan()));
        return halves;
    }

    public static void ToFloats(ReadOnlySpan<Float16> halves, Span<float> destination) =>
        TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<Float16, Half>(halves), destination);

    public static float[] ToFloats(ReadOnlySpan<Float16> halves)
    {
        var values = new float[halves.Length];
        ToFloats(halves, values);
        return values;
    }
}
