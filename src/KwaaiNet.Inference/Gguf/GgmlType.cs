// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics.CodeAnalysis;

namespace KwaaiNet.Inference.Gguf;

/// <summary>
/// A tensor's element type, by ggml's numeric id as stored in GGUF tensor infos. Ids 4, 5 and 31–33, 36–38 were
/// removed from ggml and are not members.
/// </summary>
[SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "ggml's own type names (Q4_K, Q8_0), as every GGUF tool prints them.")]
public enum GgmlType : uint
{
    /// <summary>32-bit float.</summary>
    F32 = 0,

    /// <summary>IEEE half precision.</summary>
    F16 = 1,

    /// <summary>32 values in 18 bytes: fp16 scale, 16 bytes of 4-bit quants (x = (q − 8)·d).</summary>
    Q4_0 = 2,

    /// <summary>32 values in 20 bytes: fp16 scale and minimum, 4-bit quants.</summary>
    Q4_1 = 3,

    /// <summary>32 values in 22 bytes.</summary>
    Q5_0 = 6,

    /// <summary>32 values in 24 bytes.</summary>
    Q5_1 = 7,

    /// <summary>32 values in 34 bytes: fp16 scale, 32 int8 quants (x = q·d).</summary>
    Q8_0 = 8,

    /// <summary>32 values in 36 bytes.</summary>
    Q8_1 = 9,

    /// <summary>K-quant, 256 values in 84 bytes.</summary>
    Q2_K = 10,

    /// <summary>K-quant, 256 values in 110 bytes.</summary>
    Q3_K = 11,

    /// <summary>K-quant, 256 values in 144 bytes: fp16 d and dmin, 12 bytes of 6-bit scales and mins, 128 bytes of 4-bit quants.</summary>
    Q4_K = 12,

    /// <summary>K-quant, 256 values in 176 bytes.</summary>
    Q5_K = 13,

    /// <summary>K-quant, 256 values in 210 bytes: 128 bytes low nibbles, 64 bytes high bit pairs, 16 int8 scales, fp16 d.</summary>
    Q6_K = 14,

    /// <summary>K-quant used for intermediate products, 256 values in 292 bytes.</summary>
    Q8_K = 15,

    /// <summary>I-quant, 256 values in 66 bytes.</summary>
    IQ2_XXS = 16,

    /// <summary>I-quant, 256 values in 74 bytes.</summary>
    IQ2_XS = 17,

    /// <summary>I-quant, 256 values in 98 bytes.</summary>
    IQ3_XXS = 18,

    /// <summary>I-quant, 256 values in 50 bytes.</summary>
    IQ1_S = 19,

    /// <summary>I-quant, 32 values in 18 bytes.</summary>
    IQ4_NL = 20,

    /// <summary>I-quant, 256 values in 110 bytes.</summary>
    IQ3_S = 21,

    /// <summary>I-quant, 256 values in 82 bytes.</summary>
    IQ2_S = 22,

    /// <summary>I-quant, 256 values in 136 bytes.</summary>
    IQ4_XS = 23,

    /// <summary>8-bit integer.</summary>
    I8 = 24,

    /// <summary>16-bit integer.</summary>
    I16 = 25,

    /// <summary>32-bit integer.</summary>
    I32 = 26,

    /// <summary>64-bit integer.</summary>
    I64 = 27,

    /// <summary>64-bit float.</summary>
    F64 = 28,

    /// <summary>I-quant, 256 values in 56 bytes.</summary>
    IQ1_M = 29,

    /// <summary>bfloat16 (the upper half of an fp32).</summary>
    BF16 = 30,

    /// <summary>Ternary quant, 256 values in 54 bytes.</summary>
    TQ1_0 = 34,

    /// <summary>Ternary quant, 256 values in 66 bytes.</summary>
    TQ2_0 = 35,

    /// <summary>Microscaling fp4, 32 values in 17 bytes.</summary>
    MXFP4 = 39,
}
