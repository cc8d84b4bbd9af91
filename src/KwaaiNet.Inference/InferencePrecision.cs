// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference;

/// <summary>The element type a worker runs its span in.</summary>
public enum InferencePrecision
{
    /// <summary>fp16 on a GPU provider (ONNX Runtime's CUDA GroupQueryAttention has no fp32 kernel), fp32 on the CPU.</summary>
    Auto,

    /// <summary>fp32 throughout.</summary>
    Fp32,

    /// <summary>fp16 throughout (hidden states and KV cache included).</summary>
    Fp16,
}
